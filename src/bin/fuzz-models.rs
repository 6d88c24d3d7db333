//! `fuzz-models`: runs many mutated model, IDX and CSV files through the parsers and reports cases/s,
//! panics (must be 0) and peak memory. `cargo run --release --bin fuzz-models -- --iterations 1000000`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// Fuzz the file parsers.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Number of cases.
    #[arg(long, default_value_t = 100_000)]
    iterations: u64,
    /// Seed of the mutation generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let t = Instant::now();
    let s = lgn::fuzz::run(a.iterations, a.seed);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} cases in {:.1} s ({:.0} cases/s): {} accepted, {} panics; peak RSS {} KiB",
        s.cases,
        secs,
        s.cases as f64 / secs,
        s.accepted,
        s.panics,
        lgn::fuzz::peak_rss_kib().map_or("?".into(), |k| k.to_string())
    );
    if let Some(p) = s.first_panic {
        eprintln!("first panicking input ({} bytes): {:02x?}", p.len(), &p[..p.len().min(256)]);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
