//! `lgn demo`: the main job on the shipped data.

use std::time::Instant;

use anyhow::Result;
use lgn_compiler::model::{self, RandomSpec};
use lgn_runtime::data::Split;

use crate::cli::DemoArgs;

pub fn run(a: DemoArgs) -> Result<()> {
    let t = Instant::now();
    // Until training lands: a randomly initialised 6×8000 MNIST-shaped network (accuracy near chance).
    let m = RandomSpec {
        input_shape: vec![1, 28, 28],
        thresholds: 1,
        layers: 6,
        width: 8000,
        classes: 10,
        tau: 10.0,
        seed: 1,
    }
    .build()?;
    model::save(&m, &a.output)?;
    println!(
        "model      {} (random 6×8000, {} gates) in {:.2} s",
        a.output.display(),
        m.gate_count(),
        t.elapsed().as_secs_f64()
    );
    let test = super::load_data("mnist10k", Split::Test, &m)?;
    let (clf, compile_time) = super::compile(&m, &a.run)?;
    println!("compiled   {} engine in {:.1} ms", clf.engine().name(), compile_time.as_secs_f64() * 1e3);
    let pred = super::with_threads(&a.run, || clf.predict(test.inputs()))??;
    let (acc, _) = super::score(&pred, &test.y, m.classes);
    println!("accuracy   {:.2}% on {} mnist10k test images", 100.0 * acc, test.len());
    let batch = 102_400;
    let images = super::bench_images(&m, "mnist10k", batch);
    let secs = super::with_threads(&a.run, || super::best_time(&clf, &images, 3))??;
    let threads = a.run.threads.unwrap_or_else(rayon::current_num_threads);
    println!(
        "speed      {:.3} M images/s ({batch} images, {threads} thread(s), packing included)",
        batch as f64 / secs / 1e6
    );
    Ok(())
}
