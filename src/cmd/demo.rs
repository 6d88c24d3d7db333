//! `lgn demo`: the main job on the shipped data — train a small network on the MNIST subset, compile it,
//! report its test accuracy and images/second.

use anyhow::Result;
use lgn_compiler::Model;
use lgn_runtime::data::Split;

use crate::cli::DemoArgs;

/// Trains the demo network (or, without the `train` feature, makes a random one) and returns it.
#[cfg(feature = "train")]
fn make_model(a: &DemoArgs) -> Result<(Model, Option<std::path::PathBuf>)> {
    use crate::cli::{InitKind, PlacementKind, TrainArgs};
    let args = TrainArgs {
        data: "mnist10k".into(),
        layers: a.layers,
        width: a.width,
        tau: Some(10.0),
        arch: crate::cli::ArchKind::Dense,
        preset: "mnist-s".into(),
        scale: 1.0,
        cosine: false,
        thresholds: 1,
        placement: PlacementKind::Auto,
        epochs: a.epochs,
        batch: 128,
        lr: 0.01,
        init: Some(InitKind::Gaussian),
        residual_z: 5.0,
        seed: 0,
        anneal: 0.1,
        shift: 2,
        hard_epochs: 0,
        limit: None,
        threads: a.run.threads,
        backend: crate::cli::BackendKind::Fused,
        output: a.output.clone(),
        checkpoint: None,
        resume: false,
        init_from: None,
        plot: None,
        json: false,
    };
    let t = super::train::train(&args)?;
    println!("trained    {} × {} logic layers, {} epochs in {:.1} s", a.layers, a.width, a.epochs, t.seconds);
    Ok((t.model, Some(t.plot)))
}

#[cfg(not(feature = "train"))]
fn make_model(a: &DemoArgs) -> Result<(Model, Option<std::path::PathBuf>)> {
    eprintln!("(built without the `train` feature: using a randomly initialised network, accuracy near chance)");
    let m = lgn_compiler::model::RandomSpec {
        input_shape: vec![1, 28, 28],
        thresholds: 1,
        layers: a.layers,
        width: a.width,
        classes: 10,
        tau: Some(10.0),
        arch: crate::cli::ArchKind::Dense,
        preset: "mnist-s".into(),
        scale: 1.0,
        cosine: false,
        seed: 1,
    }
    .build()?;
    lgn_compiler::model::save(&m, &a.output)?;
    Ok((m, None))
}

pub fn run(a: DemoArgs) -> Result<()> {
    let (m, plot) = make_model(&a)?;
    let test = super::load_data("mnist10k", Split::Test, &m)?;
    let super::Compiled { clf, time: compile_time, vector_timing, .. } = super::compile(&m, &a.run)?;
    println!("compiled   {} engine in {:.1} ms", clf.engine().name(), compile_time.as_secs_f64() * 1e3);
    if let Some(v) = vector_timing {
        println!("timed      {v}");
    }
    let pred = super::with_threads(&a.run, || clf.predict(test.inputs()))??;
    let (acc, _) = super::score(&pred, &test.y, m.classes);
    println!("accuracy   {:.2}% on the {} mnist10k test images", 100.0 * acc, test.len());
    let batch = 102_400;
    let images = super::bench_images(&m, "mnist10k", batch);
    let secs = super::with_threads(&a.run, || super::best_time(&clf, &images, 3))??;
    let threads = a.run.threads.unwrap_or_else(rayon::current_num_threads);
    println!(
        "speed      {:.2} M images/s ({batch} images, {threads} thread(s), packing included)",
        batch as f64 / secs / 1e6
    );
    println!("model      {}", a.output.display());
    if let Some(p) = plot {
        println!("plot       {}", p.display());
    }
    Ok(())
}
