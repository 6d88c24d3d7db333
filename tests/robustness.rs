//! Hostile inputs and interrupted writes: a short fuzz run over every parser (the long one is
//! `cargo run --release --bin fuzz-models -- --iterations 1000000`), and a writer killed mid-way never leaves a
//! partial file under the final name.

use std::process::Command;
use std::time::Duration;

#[test]
fn short_fuzz_run_has_no_panics() {
    let cases = std::env::var("LGN_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(30_000);
    let stats = lgn::fuzz::run(cases, 7);
    assert_eq!(stats.cases, cases);
    assert_eq!(stats.panics, 0, "first panicking input: {:02x?}", stats.first_panic);
    // The mutations must not be so destructive that nothing ever parses, nor so mild that everything does.
    assert!(stats.accepted > 0 && stats.accepted < cases, "{stats:?}");
}

#[test]
fn killed_writer_leaves_no_partial_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.lgn");
    // The writer takes about 0.3 s (0.25 s building, then serialising 27 MB and writing it); the kills are
    // spread over that whole time, so some land while the file is being written.
    let (mut killed, mut complete) = (0, 0);
    for delay_ms in (0..14u64).map(|i| 10 + 30 * i) {
        let _ = std::fs::remove_file(&out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_lgn"))
            .args(["init", "--layers", "30", "--width", "100000", "-o"])
            .arg(&out)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        match child.try_wait().unwrap() {
            Some(_) => complete += 1,
            None => {
                let _ = child.kill();
                killed += 1;
            }
        }
        let _ = child.wait();
        if out.exists() {
            // Whatever is under the final name is a complete, valid model.
            lgn_compiler::model::load(&out).unwrap_or_else(|e| panic!("partial file after kill at {delay_ms} ms: {e}"));
        }
    }
    assert!(killed > 0, "no writer was interrupted ({complete} finished): the test did not test anything");
}
