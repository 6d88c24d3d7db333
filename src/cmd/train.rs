//! `lgn train`: train, discretize, export.

use anyhow::Result;

use crate::cli::TrainArgs;

#[cfg(not(feature = "train"))]
pub fn run(_: TrainArgs) -> Result<()> {
    anyhow::bail!("this lgn was built without training support: rebuild with the default `train` feature")
}

/// What a training run produced.
#[cfg(feature = "train")]
pub struct Trained {
    pub model: lgn_compiler::Model,
    pub history: lgn_models::History,
    pub plot: std::path::PathBuf,
    pub seconds: f64,
}

#[cfg(feature = "train")]
pub fn run(a: TrainArgs) -> Result<()> {
    let json = a.json;
    let out = a.output.clone();
    let t = train(&a)?;
    let last = t.history.last().expect("at least one epoch");
    let mut steps: Vec<f64> = t.history.iter().map(|r| r.step_ms).collect();
    steps.sort_by(f64::total_cmp);
    if json {
        let h: Vec<_> = t
            .history
            .iter()
            .map(|r| {
                serde_json::json!({"epoch": r.epoch, "loss": r.loss, "train_acc": r.train_acc,
                "test_acc_relaxed": r.test_acc_relaxed, "test_acc_discrete": r.test_acc_discrete,
                "seconds": r.seconds, "step_ms": r.step_ms})
            })
            .collect();
        let s = serde_json::json!({"model": out.display().to_string(), "plot": t.plot.display().to_string(),
            "test_acc_discrete": last.test_acc_discrete, "seconds": t.seconds, "median_step_ms": steps[steps.len() / 2],
            "gates": t.model.gate_count(), "history": h});
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "trained in {:.1} s (median step {:.1} ms); discretized test accuracy {:.2}% (relaxed {:.2}%)",
            t.seconds,
            steps[steps.len() / 2],
            100.0 * last.test_acc_discrete,
            100.0 * last.test_acc_relaxed
        );
        println!("model {}  plot {}", out.display(), t.plot.display());
    }
    Ok(())
}

/// Trains as `a` says, with a progress bar, writing the model after every epoch and the plot at the end.
#[cfg(feature = "train")]
pub fn train(a: &TrainArgs) -> Result<Trained> {
    use indicatif::{ProgressBar, ProgressStyle};
    use lgn_models::encode::Placement;
    use lgn_models::logic::Init;
    use lgn_models::train::{Event, TrainConfig};
    use lgn_runtime::data::{self, Features, Split};

    let mut train = data::load(&a.data, Split::Train)?;
    let test = data::load(&a.data, Split::Test)?;
    if let Some(n) = a.limit {
        train.truncate(n);
    }
    let classes = train.classes.max(test.classes);
    let placement = match a.placement {
        crate::cli::PlacementKind::Uniform => Placement::Uniform,
        crate::cli::PlacementKind::Quantile => Placement::Quantile,
        crate::cli::PlacementKind::Auto if matches!(train.x, Features::U8(_)) => Placement::Uniform,
        crate::cli::PlacementKind::Auto => Placement::Quantile,
    };
    let conv = a.arch == crate::cli::ArchKind::Conv;
    let arch = if conv {
        anyhow::ensure!(a.scale.is_finite() && a.scale > 0.0, "--scale must be a positive number, got {}", a.scale);
        let spec = lgn_compiler::model::random::preset(&a.preset, a.scale, a.thresholds).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown preset {:?} (known: {})",
                a.preset,
                lgn_compiler::model::random::PRESETS.join(", ")
            )
        })?;
        Some(spec)
    } else {
        if a.layers == 0 || a.width < classes || !a.width.is_multiple_of(classes) {
            anyhow::bail!(
                "--width {} must be a positive multiple of the {classes} classes, with --layers ≥ 1",
                a.width
            );
        }
        None
    };
    let tau = a.tau.unwrap_or_else(|| arch.as_ref().map_or(10.0, |s| s.tau));
    let init = a.init.unwrap_or(if conv { crate::cli::InitKind::Residual } else { crate::cli::InitKind::Gaussian });
    let cfg = TrainConfig {
        backend: match a.backend {
            crate::cli::BackendKind::Fused => lgn_models::train::Backend::Fused,
            crate::cli::BackendKind::Flex => lgn_models::train::Backend::Flex,
            crate::cli::BackendKind::Ndarray => lgn_models::train::Backend::NdArray,
        },
        widths: vec![a.width; a.layers],
        tau,
        thresholds: a.thresholds,
        placement,
        epochs: a.epochs.max(1),
        batch: a.batch,
        lr: a.lr,
        cosine: a.cosine,
        init: match init {
            crate::cli::InitKind::Gaussian => Init::Gaussian,
            crate::cli::InitKind::Residual => Init::Residual(a.residual_z),
        },
        seed: a.seed,
        anneal: a.anneal,
        shift: a.shift,
        hard_epochs: a.hard_epochs,
        checkpoint: Some(a.checkpoint.clone().unwrap_or_else(|| a.output.with_extension("ckpt"))),
        resume: a.resume,
        init_from: a.init_from.clone(),
        arch: arch.clone(),
    };
    let plot = a.plot.clone().unwrap_or_else(|| a.output.with_extension("svg"));
    let what = match &arch {
        Some(_) => format!("the {} convolutional network (scale {})", a.preset, a.scale),
        None => format!("{} × {} logic layers", a.layers, a.width),
    };
    eprintln!(
        "training {what} on {} ({} train / {} test samples, {} classes) for {} epochs",
        a.data,
        train.len(),
        test.len(),
        classes,
        cfg.epochs
    );
    let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({eta})")
        .expect("valid template")
        .progress_chars("=> ");
    let bar = ProgressBar::hidden();
    let (mut loss_avg, mut acc_avg) = (0.0f64, 0.0f64);
    let mut write_err = None;
    let started = std::time::Instant::now();
    let body = || {
        lgn_models::train(&cfg, &train, &test, |e| match e {
            Event::EpochStart { epoch, steps } => {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.set_style(style.clone());
                bar.set_length(steps as u64);
                bar.set_position(0);
                bar.set_prefix(format!("{epoch}/{}", cfg.epochs));
            }
            Event::Step { loss, acc } => {
                loss_avg = 0.9 * loss_avg + 0.1 * loss;
                acc_avg = 0.9 * acc_avg + 0.1 * acc;
                bar.set_message(format!("loss {loss_avg:.3} acc {:.1}%", 100.0 * acc_avg));
                bar.inc(1);
            }
            Event::EpochEnd(r, model) => {
                bar.finish_and_clear();
                eprintln!(
                    "epoch {:>3}: loss {:.4}  train {:.2}%  test relaxed {:.2}%  discretized {:.2}%  ({:.1} s, step {:.1} ms)",
                    r.epoch,
                    r.loss,
                    100.0 * r.train_acc,
                    100.0 * r.test_acc_relaxed,
                    100.0 * r.test_acc_discrete,
                    r.seconds,
                    r.step_ms
                );
                if let Err(e) = lgn_compiler::model::save(&model, &a.output) {
                    write_err = Some(e);
                }
            }
        })
    };
    let (model, _, history) = super::with_threads_n(a.threads, body)??;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    lgn_models::plot::write_svg(&history, &plot)?;
    Ok(Trained { model, history, plot, seconds: started.elapsed().as_secs_f64() })
}
