//! `lgn eval`: accuracy and confusion matrix on a data set.

use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use crate::cli::EvalArgs;

pub fn run(a: EvalArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let split = super::parse_split(&a.split)?;
    let mut data = super::load_data(&a.data, split, &model)?;
    if let Some(n) = a.limit {
        data.truncate(n);
    }
    let super::Compiled { clf, time: compile_time, .. } = super::compile(&model, &a.run)?;
    let t = Instant::now();
    let pred = super::with_threads(&a.run, || clf.predict(data.inputs()))??;
    let secs = t.elapsed().as_secs_f64();
    let (acc, confusion) = super::score(&pred, &data.y, model.classes);
    if a.json {
        let out = json!({
            "model": a.model.display().to_string(), "data": data.source.display().to_string(), "split": a.split,
            "samples": data.len(), "accuracy": acc, "confusion": confusion, "engine": clf.engine().name(),
            "compile_seconds": compile_time.as_secs_f64(), "eval_seconds": secs,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{} on {} ({}, {} samples): accuracy {:.2}%",
        a.model.display(),
        data.source.display(),
        a.split,
        data.len(),
        100.0 * acc
    );
    println!("confusion matrix (rows: true class, columns: predicted):");
    print!("{:>6}", "");
    for c in 0..model.classes {
        print!("{c:>6}");
    }
    println!();
    for (t, row) in confusion.iter().enumerate() {
        print!("{t:>6}");
        for v in row {
            print!("{v:>6}");
        }
        println!();
    }
    Ok(())
}
