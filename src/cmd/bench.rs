//! `lgn bench`: throughput of an engine on a model.

use anyhow::Result;
use serde_json::json;

use crate::cli::BenchArgs;

pub fn run(a: BenchArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let images = super::bench_images(&model, &a.data, a.batch);
    let super::Compiled { clf, time: compile_time, gates, evaluated, vector_timing } = super::compile(&model, &a.run)?;
    let threads = a.run.threads.unwrap_or_else(rayon::current_num_threads);
    eprintln!("timing {} passes over {} images on {threads} thread(s)…", a.repeat, a.batch);
    let secs = super::with_threads(&a.run, || super::best_time(&clf, &images, a.repeat))??;
    let ips = a.batch as f64 / secs;
    let per_core = evaluated as f64 * ips / threads as f64;
    if a.json {
        let out = json!({
            "model": a.model.display().to_string(), "engine": clf.engine().name(), "threads": threads,
            "batch": a.batch, "lanes_per_block": clf.block(), "netlist_gates": gates, "evaluated_gates": evaluated,
            "compile_seconds": compile_time.as_secs_f64(), "seconds": secs, "images_per_second": ips,
            "vector_timing": vector_timing.as_ref().map(|v| json!({
                "candidates": v.candidates.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "images_per_second": v.timing.samples_per_second,
                "chosen": v.chosen().to_string(), "chosen_vectors": v.chosen().vectors,
                "seconds": v.timing.time.as_secs_f64(),
            })),
            "ns_per_image": 1e9 / ips, "gate_samples_per_second_per_core": per_core,
            "engine_report": clf.engine().report().into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if evaluated != gates {
        println!("model           {} ({gates} netlist gates, {evaluated} evaluated per sample)", a.model.display());
    } else {
        println!("model           {} ({gates} netlist gates)", a.model.display());
    }
    println!("engine          {} ({} lanes per block), {threads} thread(s)", clf.engine().name(), clf.block());
    println!("compile time    {:.1} ms", compile_time.as_secs_f64() * 1e3);
    if let Some(v) = &vector_timing {
        println!("  timed         {v}");
    }
    for (k, v) in clf.engine().report() {
        println!("  {k:<14}{v}");
    }
    println!(
        "images/s        {:.3} M  ({:.1} ns/image, best of {}, batch {})",
        ips / 1e6,
        1e9 / ips,
        a.repeat,
        a.batch
    );
    println!("gate·samples/s  {:.2} G per core", per_core / 1e9);
    Ok(())
}
