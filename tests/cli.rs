//! The `lgn` binary end to end: the documented commands work, and bad input gives a clear error with a
//! non-zero exit code and no panic.

use std::path::Path;
use std::process::{Command, Output};

fn lgn(args: &[&str]) -> Output {
    lgn_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs `lgn` in `dir` (commands with default output paths write there).
fn lgn_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lgn")).args(args).current_dir(dir).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = lgn(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "lgn {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns stderr after checking that it is a clean error.
fn fails(args: &[&str]) -> String {
    let out = lgn(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "lgn {args:?} should fail with 1: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "panic: {stderr}");
    // (Commands may report progress first; the error is the last thing they print.)
    assert!(stderr.starts_with("lgn: error:") || stderr.contains("\nlgn: error:"), "{stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn init_inspect_eval() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.lgn");
    ok(&["init", "--layers", "2", "--width", "500", "--seed", "3", "-o", s(&m)]);
    let info: serde_json::Value = serde_json::from_str(&ok(&["inspect", s(&m), "--json"])).unwrap();
    assert_eq!(info["logic_gates"], 1000);
    assert_eq!(info["logic_depth"], 2);
    let hist: u64 = info["gate_histogram"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(hist, 1000);
    let eval: serde_json::Value =
        serde_json::from_str(&ok(&["eval", s(&m), "--data", "mnist10k", "--split", "test", "--json"])).unwrap();
    assert_eq!(eval["samples"], 2000);
    let confusion: u64 = eval["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(confusion, 2000);
    // Same seed, same file.
    let m2 = dir.path().join("m2.lgn");
    ok(&["init", "--layers", "2", "--width", "500", "--seed", "3", "-o", s(&m2)]);
    assert_eq!(std::fs::read(&m).unwrap(), std::fs::read(&m2).unwrap());
}

#[test]
fn bad_files_and_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.lgn");
    std::fs::write(&garbage, b"this is not a model").unwrap();
    assert!(fails(&["inspect", s(&garbage)]).contains("garbage.lgn"));
    assert!(fails(&["eval", s(&garbage)]).contains("garbage.lgn"));
    let missing = dir.path().join("missing.lgn");
    assert!(fails(&["inspect", s(&missing)]).contains("missing.lgn"));
    // A model whose input does not match the data set.
    let small = dir.path().join("small.lgn");
    ok(&["init", "--inputs", "10", "--layers", "1", "--width", "10", "-o", s(&small)]);
    let e = fails(&["eval", s(&small), "--data", "mnist10k"]);
    assert!(e.contains("784") && e.contains("10"), "{e}");
    assert!(fails(&["eval", s(&small), "--data", "nope"]).contains("nope"));
    assert!(fails(&["eval", s(&small), "--split", "validation"]).contains("validation"));
    assert!(fails(&["init", "--width", "7", "--classes", "10", "-o", s(&small)]).contains("class groups"));
    // clap's own usage errors exit with 2 and never panic.
    let out = lgn(&["init", "--width", "lots"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn opt_keeps_accuracy_and_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.lgn");
    let o = dir.path().join("o.lgn");
    ok(&["init", "--layers", "3", "--width", "1000", "--seed", "5", "-o", s(&m)]);
    ok(&["opt", s(&m), "-o", s(&o), "--verify"]);
    let before: serde_json::Value = serde_json::from_str(&ok(&["inspect", s(&m), "--json", "--opt"])).unwrap();
    let after: serde_json::Value = serde_json::from_str(&ok(&["inspect", s(&o), "--json"])).unwrap();
    assert!(after["netlist"]["gates"].as_u64() < before["netlist"]["gates"].as_u64());
    assert_eq!(after["netlist"]["gates"], before["optimized"]["gates"]);
    let eval = |p: &Path, engine: &str, level: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&["eval", s(p), "--json", "--engine", engine, "-O", level])).unwrap()
    };
    let reference = eval(&m, "interp", "0");
    for (p, engine, level) in [(&m, "jit", "2"), (&o, "jit", "0"), (&o, "interp", "1"), (&m, "jit", "1")] {
        assert_eq!(eval(p, engine, level)["confusion"], reference["confusion"], "{engine} -O{level}");
    }
    assert!(fails(&["opt", s(&m), "-o", s(&o), "--passes", "nonsense"]).contains("unknown pass"));
    assert!(ok(&["passes"]).contains("strash"));
}

#[test]
fn every_command_has_help() {
    for cmd in ["init", "inspect", "opt", "passes", "eval", "bench", "demo"] {
        let out = ok(&[cmd, "--help"]);
        assert!(out.contains("Usage"), "{cmd}: {out}");
    }
}

/// Random command lines built from a vocabulary of valid and invalid words: every run ends with exit code 0
/// (worked), 1 (clean error) or 2 (usage error), never a panic or a signal.
#[test]
fn random_command_lines_never_panic() {
    use rand::{RngExt, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.lgn");
    ok(&["init", "--inputs", "17", "--layers", "2", "--width", "30", "--classes", "2", "-o", s(&model)]);
    let garbage = dir.path().join("garbage.lgn");
    std::fs::write(&garbage, b"\x08\x00\x00\x00\x00\x00\x00\x00{}").unwrap();
    let out = dir.path().join("out");
    let x = dir.path().join("x.lgn");
    let words: Vec<&str> = vec![
        "--json",
        "--opt",
        "-O",
        "0",
        "3",
        "-o",
        s(&x),
        s(&out),
        "--data",
        "nope",
        "monk1",
        "iris",
        "--split",
        "train",
        "test",
        "bogus",
        "--engine",
        "jit",
        "interp",
        "--threads",
        "0",
        "1",
        "--width",
        "-5",
        "12",
        "--layers",
        "1",
        "--classes",
        "2",
        "--inputs",
        "17",
        "--vectors",
        "9",
        "2",
        "--limit",
        "5",
        "--pipeline",
        "c",
        "verilog",
        s(&model),
        s(&garbage),
        "missing.lgn",
        "--passes",
        "strash,nope",
        "sweep",
        "--name",
        "9bad",
        "ok_name",
        "--seed",
        "18446744073709551615",
        "--codegen",
        "cranelift",
        "--chunk",
        "0",
        "--window",
        "--verify",
        "",
    ];
    let commands = ["inspect", "eval", "opt", "emit", "passes", "init", "bench"];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let cases = std::env::var("LGN_CLI_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    for case in 0..cases {
        let mut args = vec![commands[rng.random_range(0..commands.len())]];
        if args[0] == "bench" {
            args.extend(["--batch", "64", "--repeat", "1"]);
        }
        for _ in 0..rng.random_range(0..7) {
            args.push(words[rng.random_range(0..words.len())]);
        }
        // In the temporary folder: random words may make any command write its default output file.
        let out = lgn_in(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(matches!(code, Some(0..=2)), "case {case}: lgn {args:?} ended with {:?}: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "case {case}: lgn {args:?} panicked: {stderr}");
    }
}

#[cfg(feature = "train")]
#[test]
fn train_checkpoints_resume_and_refuse_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.lgn");
    let ck = dir.path().join("m.ckpt");
    let base = ["train", "--data", "monk1", "--layers", "2", "--width", "40", "--lr", "0.05", "-o", s(&m)];
    ok(&[&base[..], &["--epochs", "2"]].concat());
    assert!(ck.exists(), "a checkpoint is written next to the model");
    let out = ok(&[&base[..], &["--epochs", "3", "--resume", "--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let epochs: Vec<u64> = v["history"].as_array().unwrap().iter().map(|r| r["epoch"].as_u64().unwrap()).collect();
    assert_eq!(epochs, [1, 2, 3], "the resumed history continues the first run's");
    let e = fails(&[&base[..], &["--epochs", "3", "--resume", "--seed", "9"]].concat());
    assert!(e.contains("another configuration") && e.contains("m.ckpt"), "{e}");
    let other = dir.path().join("other.lgn");
    let e = fails(&["train", "--data", "monk1", "--width", "40", "--resume", "-o", s(&other)]);
    assert!(e.contains("no checkpoint") && e.contains("other.ckpt"), "{e}");
    let e = fails(&["train", "--data", "monk1", "--width", "40", "--shift", "1", "-o", s(&other)]);
    assert!(e.contains("image"), "{e}");
}

/// The convolutional path end to end: `lgn train --arch conv --preset mnist-s`, then the model runs through
/// inspect, opt, eval on every engine (same accuracy), bench and emit; presets are refused by name.
#[cfg(feature = "train")]
#[test]
fn conv_preset_trains_compiles_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("c.lgn");
    let out = ok(&[
        "train",
        "--arch",
        "conv",
        "--preset",
        "mnist-s",
        "--scale",
        "0.25",
        "--limit",
        "512",
        "--epochs",
        "2",
        "--lr",
        "0.03",
        "--hard-epochs",
        "1",
        "--json",
        "-o",
        s(&m),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let trained = v["test_acc_discrete"].as_f64().unwrap();
    // The last epoch trained straight-through: its evaluated pass is the discretized network.
    let last = &v["history"][1];
    assert_eq!(last["test_acc_relaxed"], last["test_acc_discrete"], "{last}");
    let info: serde_json::Value = serde_json::from_str(&ok(&["inspect", s(&m), "--json"])).unwrap();
    let kinds: Vec<&str> = info["layers"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "tree_conv").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "or_pool").count(), 3, "{kinds:?}");
    assert!(info["evaluated_gates"].as_u64().unwrap() > info["logic_gates"].as_u64().unwrap());
    let acc = |engine: &str, file: &Path| -> f64 {
        let e: serde_json::Value = serde_json::from_str(&ok(&[
            "eval",
            s(file),
            "--data",
            "mnist10k",
            "--split",
            "test",
            "--engine",
            engine,
            "--json",
        ]))
        .unwrap();
        e["accuracy"].as_f64().unwrap()
    };
    assert_eq!(acc("jit", &m), trained, "eval reproduces the trainer's discretized accuracy");
    assert_eq!(acc("interp", &m), trained);
    let small = dir.path().join("small.lgn");
    ok(&["opt", s(&m), "-o", s(&small), "--verify"]);
    assert_eq!(acc("jit", &small), trained, "optimisation keeps the function");
    let b: serde_json::Value =
        serde_json::from_str(&ok(&["bench", s(&m), "--batch", "2048", "--repeat", "1", "--json"])).unwrap();
    assert!(b["images_per_second"].as_f64().unwrap() > 0.0);
    // Automatic vectors per signal: every candidate timed, the chosen one is what the engine runs.
    let timed = &b["vector_timing"];
    let candidates: Vec<&str> = timed["candidates"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(candidates.len() >= 2, "{b}");
    assert_eq!(timed["images_per_second"].as_array().map(Vec::len), Some(candidates.len()), "{b}");
    let chosen = timed["chosen"].as_str().unwrap_or("");
    assert!(candidates.contains(&chosen), "{b}");
    let vectors = timed["chosen_vectors"].as_u64().unwrap_or(0);
    assert_eq!(b["engine_report"]["vectors"], vectors.to_string(), "{b}");
    let codegen = b["engine_report"]["codegen"].as_str().unwrap_or("").to_lowercase();
    assert_eq!(chosen, format!("{codegen}x{vectors}"), "{b}");
    ok(&["emit", "c", s(&m), "-o", s(&dir.path().join("c"))]);
    let e = fails(&["train", "--arch", "conv", "--preset", "mnist-xl", "-o", s(&m)]);
    assert!(e.contains("mnist-xl") && e.contains("mnist-s"), "{e}");
    let e = fails(&["train", "--arch", "conv", "--preset", "cifar-s", "--limit", "10", "-o", s(&m)]);
    assert!(e.contains("features"), "{e}");
}
