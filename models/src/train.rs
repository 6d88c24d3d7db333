//! The training loop: Adam on relaxed logic, with discretized evaluation every epoch.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::{Module, Param, ParamId};
use burn::optim::OptimizerRecord;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::loss::cross_entropy_with_logits;
use burn::tensor::{Device, Int, Tensor, TensorData};
use lgn_compiler::Model;
use lgn_compiler::model::Threshold;
use lgn_runtime::data::Dataset;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::conv::ConvNet;
use crate::encode::{self, Placement};
use crate::logic::{DenseLogic, Init};
use crate::net::LogicNet;
use crate::{Error, Result};
use crate::{checkpoint, fused};
use lgn_compiler::model::ConvSpec;

/// How gradients are computed: the fused kernel, or burn's autodiff over generic ops on a CPU backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The hand-written fused forward/backward ([`crate::fused`]), parameters and Adam in burn `flex`.
    Fused,
    /// Generic burn ops with autodiff on `flex`, burn's pure-Rust CPU backend.
    Flex,
    /// `ndarray` (deprecated in burn 0.22; kept for comparison).
    NdArray,
}

impl Backend {
    /// The autodiff device of this backend.
    pub fn device(self) -> Device {
        match self {
            Backend::Fused | Backend::Flex => Device::flex().autodiff(),
            #[allow(deprecated)]
            Backend::NdArray => Device::ndarray().autodiff(),
        }
    }
}

/// What to train and how.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// The burn backend.
    pub backend: Backend,
    /// Width of each logic layer (the last must be divisible by the class count).
    pub widths: Vec<usize>,
    /// GroupSum temperature.
    pub tau: f32,
    /// Thresholds per input feature.
    pub thresholds: usize,
    /// Threshold placement.
    pub placement: Placement,
    /// Epochs.
    pub epochs: usize,
    /// Samples per step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Lower the learning rate along a half cosine from `lr` (first epoch) towards 0 (after the last).
    pub cosine: bool,
    /// Logit initialisation.
    pub init: Init,
    /// Seed of wiring, initialisation and shuffling.
    pub seed: u64,
    /// Final softmax temperature of the gate distributions, reached geometrically from 1 over the epochs
    /// (1: no annealing). Below 1 it sharpens the distributions, shrinking the relaxed-to-discrete gap.
    pub anneal: f32,
    /// Augmentation: translate every training image by up to this many pixels, anew each epoch (0: off).
    pub shift: usize,
    /// Train the last this many epochs straight-through: the forward pass uses every neuron's most likely gate
    /// (the discretized network), the logit gradients flow through the softmax (0: off).
    pub hard_epochs: usize,
    /// Where to write a checkpoint after every epoch (none if `None`).
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint instead of starting afresh (it must exist and match the configuration).
    pub resume: bool,
    /// Fine-tune: start from the gate logits of this checkpoint (same architecture, thresholds, seed and data
    /// shape) with a fresh optimizer and schedule; every other option may differ from the run that made it.
    /// A resumed fine-tuning run continues from its own checkpoint and ignores this.
    pub init_from: Option<PathBuf>,
    /// A convolutional architecture (tree convolutions, OR pooling, dense layers) instead of `widths`; its
    /// thresholds, tau, classes and seed are taken from this configuration. Needs the fused backend.
    pub arch: Option<lgn_compiler::model::ConvSpec>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            backend: Backend::Fused,
            widths: vec![8000; 6],
            tau: 10.0,
            thresholds: 1,
            placement: Placement::Uniform,
            epochs: 10,
            batch: 128,
            lr: 0.01,
            cosine: false,
            init: Init::Gaussian,
            seed: 0,
            anneal: 1.0,
            shift: 0,
            hard_epochs: 0,
            checkpoint: None,
            resume: false,
            init_from: None,
            arch: None,
        }
    }
}

/// One epoch's figures.
#[derive(Clone, Debug)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy of the relaxed network (over the epoch's batches).
    pub train_acc: f64,
    /// Test accuracy of the relaxed network (in straight-through epochs, of the hard pass, which is the
    /// discretized network).
    pub test_acc_relaxed: f64,
    /// Test accuracy of the discretized network, compiled and run like `lgn eval`.
    pub test_acc_discrete: f64,
    /// Wall time of the epoch (training and evaluation).
    pub seconds: f64,
    /// Median time of one training step (forward, backward, optimizer), ms.
    pub step_ms: f64,
}

/// All epochs of a run.
pub type History = Vec<EpochRecord>;

/// Progress reported while training.
#[derive(Clone, Debug)]
pub enum Event {
    /// An epoch starts with this many steps.
    EpochStart {
        /// 1-based epoch.
        epoch: usize,
        /// Steps in the epoch.
        steps: usize,
    },
    /// A step finished.
    Step {
        /// Loss of the batch.
        loss: f64,
        /// Relaxed accuracy on the batch.
        acc: f64,
    },
    /// An epoch finished; its model is the discretized network so far.
    EpochEnd(EpochRecord, Box<Model>),
}

fn onehot(labels: &[u32], classes: usize, device: &Device) -> Tensor<2> {
    let mut v = vec![0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        v[i * classes + l as usize] = 1.0;
    }
    Tensor::from_data(TensorData::new(v, [labels.len(), classes]), device)
}

fn argmax_rows(scores: Tensor<2>) -> Vec<i64> {
    scores.argmax(1).into_data().convert::<i64>().try_into_vec::<i64>().expect("integer argmax")
}

/// Fraction of rows whose argmax equals the label.
fn accuracy(scores: Tensor<2>, labels: &[u32]) -> f64 {
    let pred = argmax_rows(scores);
    pred.iter().zip(labels).filter(|(p, l)| **p == **l as i64).count() as f64 / labels.len().max(1) as f64
}

/// Discretized accuracy of `model` on `data`, through the same lowering, optimisation and engine as `lgn eval`.
pub fn discrete_accuracy(model: &Model, data: &Dataset) -> Result<f64> {
    // One vector per signal: an evaluation per epoch is too short to repay timing the block sizes (the
    // predictions do not depend on them).
    let jit = lgn_compiler::backend::jit::JitOptions { vectors: 1, ..Default::default() };
    let clf = lgn_runtime::compile(model, &lgn_runtime::CompileOptions { jit, ..Default::default() })?.clf;
    let pred = clf.predict(data.inputs())?;
    Ok(pred.iter().zip(&data.y).filter(|(p, y)| p == y).count() as f64 / data.len().max(1) as f64)
}

/// Rejects a configuration that cannot train on `train` (with a message naming the problem).
fn check(cfg: &TrainConfig, train: &Dataset, classes: usize) -> Result<()> {
    if cfg.widths.is_empty() || cfg.widths.contains(&0) {
        return Err(Error::Config("every layer needs at least one neuron".into()));
    }
    let last = *cfg.widths.last().unwrap();
    if !last.is_multiple_of(classes) {
        return Err(Error::Config(format!("the last layer's width {last} is not divisible by {classes} classes")));
    }
    if cfg.batch == 0 || train.is_empty() {
        return Err(Error::Config("need a positive batch size and a non-empty training set".into()));
    }
    if !(cfg.anneal.is_finite() && cfg.anneal > 0.0 && cfg.anneal <= 1.0) {
        return Err(Error::Config(format!("the annealing temperature must be in (0, 1], got {}", cfg.anneal)));
    }
    if cfg.backend != Backend::Fused && cfg.hard_epochs > 0 {
        return Err(Error::Config("straight-through training needs the fused backend".into()));
    }
    if !(cfg.tau.is_finite() && cfg.tau > 0.0) {
        return Err(Error::Config(format!("tau must be positive, got {}", cfg.tau)));
    }
    if let Some(spec) = &cfg.arch {
        if cfg.backend != Backend::Fused {
            return Err(Error::Config("convolutional networks train with the fused backend only".into()));
        }
        if spec.input_shape.iter().product::<usize>() != train.features() {
            return Err(Error::Config(format!(
                "the architecture reads {:?} images, but the data set has {} features per sample",
                spec.input_shape,
                train.features()
            )));
        }
    }
    if cfg.shift > 0 && crate::augment::image_dims(&train.shape).is_none() {
        return Err(Error::Config(format!("shifting needs image samples, but samples have shape {:?}", train.shape)));
    }
    Ok(())
}

/// The configuration and data a checkpoint belongs to (everything but the epoch count, which a resume may
/// change).
fn fingerprint(cfg: &TrainConfig, train: &Dataset, test: &Dataset, classes: usize) -> String {
    let n = train.len();
    format!(
        "widths {:?} arch {:?} tau {} thresholds {} {:?} batch {} lr {} cosine {} init {:?} seed {} anneal {} shift {} hard {} data {} train {} test {} features {} classes {}",
        cfg.widths,
        cfg.arch,
        cfg.tau,
        cfg.thresholds,
        cfg.placement,
        cfg.batch,
        cfg.lr,
        cfg.cosine,
        cfg.init,
        cfg.seed,
        cfg.anneal,
        cfg.shift,
        cfg.hard_epochs,
        train.source.display(),
        n,
        test.len(),
        train.features(),
        classes
    )
}

/// The parts of a [`fingerprint`] that fix the network a checkpoint's logits belong to: layer widths or
/// architecture, thresholds and their placement, the seed of the wiring, the input features and classes.
/// A fine-tuning run (`init_from`) must match them; the other parts (hyperparameters, data path) may differ.
fn structure_matches(fingerprint: &str, cfg: &TrainConfig, train: &Dataset, classes: usize) -> bool {
    fingerprint.starts_with(&format!("widths {:?} arch {:?} tau ", cfg.widths, cfg.arch))
        && fingerprint.contains(&format!(" thresholds {} {:?} batch ", cfg.thresholds, cfg.placement))
        && fingerprint.contains(&format!(" seed {} anneal ", cfg.seed))
        && fingerprint.ends_with(&format!(" features {} classes {classes}", train.features()))
}

/// Reads the checkpoint at `path`; a missing file is an error saying what could not be done (`what`).
fn read_checkpoint(path: &std::path::Path, what: &str) -> Result<checkpoint::Checkpoint> {
    if !path.exists() {
        return Err(Error::Config(format!("cannot {what}: no checkpoint at {}", path.display())));
    }
    checkpoint::load(path)
}

/// Loads a checkpoint's logits into `net` (`what` names the operation in errors); the caller has checked
/// its fingerprint. Returns the rest of the checkpoint (optimizer state and history).
fn load_logits(
    path: &std::path::Path,
    what: &str,
    c: checkpoint::Checkpoint,
    net: &mut LogicNet,
    device: &Device,
) -> Result<(Vec<u8>, History)> {
    let fits = c.param_ids.len() == net.layers.len()
        && c.logits.len() == net.layers.len()
        && net.layers.iter().zip(&c.logits).all(|(l, g)| g.len() == l.width() * 16);
    if !fits {
        return Err(Error::Config(format!(
            "cannot {what} from {}: its layers do not match the network's layer widths {:?}",
            path.display(),
            net.layers.iter().map(DenseLogic::width).collect::<Vec<_>>()
        )));
    }
    for ((l, id), logits) in net.layers.iter_mut().zip(&c.param_ids).zip(c.logits) {
        let w = l.width();
        l.logits = Param::initialized(ParamId::from(*id), Tensor::from_data(TensorData::new(logits, [w, 16]), device));
    }
    Ok((c.optimizer, c.history))
}

/// Starts `net` from the logits of `cfg.init_from` after checking that they belong to the same network.
fn fine_tune_start(
    cfg: &TrainConfig,
    path: &std::path::Path,
    train: &Dataset,
    classes: usize,
    net: &mut LogicNet,
    device: &Device,
) -> Result<()> {
    let c = read_checkpoint(path, "fine-tune")?;
    if !structure_matches(&c.fingerprint, cfg, train, classes) {
        return Err(Error::Config(format!(
            "cannot fine-tune from {}: it belongs to another network (architecture, thresholds, seed or data shape differ)\n  checkpoint: {}\n  now:        {}",
            path.display(),
            c.fingerprint,
            fingerprint(cfg, train, train, classes)
        )));
    }
    load_logits(path, "fine-tune", c, net, device)?;
    Ok(())
}

/// Loads `cfg.checkpoint` into `net` after checking that it belongs to this run; returns the optimizer
/// state and the history so far.
fn restore(
    cfg: &TrainConfig,
    fingerprint: &str,
    net: &mut LogicNet,
    device: &Device,
) -> Result<(OptimizerRecord, History)> {
    let path = cfg.checkpoint.as_ref().ok_or_else(|| Error::Config("resuming needs a checkpoint path".into()))?;
    let c = read_checkpoint(path, "resume")?;
    if c.fingerprint != fingerprint {
        return Err(Error::Config(format!(
            "cannot resume from {}: it was made with another configuration or data set\n  checkpoint: {}\n  now:        {fingerprint}",
            path.display(),
            c.fingerprint
        )));
    }
    let (optimizer, history) = load_logits(path, "resume", c, net, device)?;
    let record = OptimizerRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(optimizer))
        .map_err(|e| Error::Io(format!("{}: optimizer state: {e:?}", path.display())))?;
    Ok((record, history))
}

/// The learning rate of a 1-based epoch: constant, or along a half cosine from `cfg.lr` towards 0.
fn learning_rate(cfg: &TrainConfig, epoch: usize) -> f64 {
    if cfg.cosine {
        cfg.lr * 0.5 * (1.0 + (std::f64::consts::PI * (epoch - 1) as f64 / cfg.epochs as f64).cos())
    } else {
        cfg.lr
    }
}

/// A uniformly random order of `0..n` (Fisher–Yates).
fn shuffled(n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rand::RngExt::random_range(rng, 0..=i));
    }
    order
}

/// Trains on `train`, evaluating on `test` after every epoch; `on_event` sees progress. Returns the final
/// discretized model, the fitted encoder and the history.
pub fn train(
    cfg: &TrainConfig,
    train: &Dataset,
    test: &Dataset,
    mut on_event: impl FnMut(Event),
) -> Result<(Model, Threshold, History)> {
    let classes = train.classes.max(test.classes);
    check(cfg, train, classes)?;
    let device = cfg.backend.device();
    let enc = encode::fit(train, cfg.thresholds, cfg.placement);
    let bits = enc.outputs();
    let n = train.len();
    let mut x_train_host = encode::encode(train, &enc);
    let x_test_host = encode::encode(test, &enc);
    let test_host = fused::Encoded { x: &x_test_host, samples: test.len() };
    // The generic-ops path keeps the encoded sets as burn tensors too.
    let mut burn_x: Option<(Tensor<2>, Tensor<2>)> = (cfg.backend != Backend::Fused).then(|| {
        (
            Tensor::from_data(TensorData::new(x_train_host.clone(), [bits, n]), &device),
            Tensor::from_data(TensorData::new(x_test_host.clone(), [bits, test.len()]), &device),
        )
    });
    let (conv, mut net) = match &cfg.arch {
        Some(spec) => {
            let spec = ConvSpec { thresholds: cfg.thresholds, tau: cfg.tau, classes, seed: cfg.seed, ..spec.clone() };
            let (c, n) = ConvNet::new(&spec, cfg.init, &device)?;
            (Some(c), n)
        }
        None => (None, LogicNet::new(bits, &cfg.widths, classes, cfg.tau, cfg.init, cfg.seed, &device)),
    };
    let wiring: Vec<fused::Wiring> = match &conv {
        Some(c) => c.layers.clone(),
        None => net.layers.iter().map(DenseLogic::wiring).collect(),
    };
    // The fused kernel's logits per layer (max layers have none) and the discretized model.
    let fused_logits = |net: &LogicNet| match &conv {
        Some(c) => c.fused_logits(net),
        None => net.host_logits(),
    };
    let export = |net: &LogicNet| -> Result<Model> {
        match &conv {
            Some(c) => c.export(net, &enc),
            None => Ok(net.export(&enc, &train.shape)?),
        }
    };
    let param_of: Vec<Option<usize>> = match &conv {
        Some(c) => c.params.clone(),
        None => (0..net.layers.len()).map(Some).collect(),
    };
    // PyTorch's epsilon (burn's default is 1e-5, which damps the tiny gradients of deep logic layers).
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let fingerprint = fingerprint(cfg, train, test, classes);
    let mut history = History::new();
    if cfg.resume {
        let (record, h) = restore(cfg, &fingerprint, &mut net, &device)?;
        optim = optim.load_record(record);
        history = h;
    } else if let Some(path) = &cfg.init_from {
        fine_tune_start(cfg, path, train, classes, &mut net, &device)?;
    }
    let mut model = export(&net)?;
    for epoch in history.len() + 1..=cfg.epochs {
        let t_epoch = Instant::now();
        // Seeded per epoch, so that a resumed run sees the batches of an uninterrupted one.
        let mut rng =
            ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5348_5546 ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let order = shuffled(n, &mut rng);
        if cfg.shift > 0 {
            x_train_host = encode::encode(&crate::augment::shift_images(train, cfg.shift, &mut rng), &enc);
            if let Some((xt, _)) = burn_x.as_mut() {
                *xt = Tensor::from_data(TensorData::new(x_train_host.clone(), [bits, n]), &device);
            }
        }
        let train_host = fused::Encoded { x: &x_train_host, samples: n };
        // Gate softmax temperature, annealed geometrically from 1 to `cfg.anneal` over the run.
        let temperature = cfg.anneal.powf((epoch - 1) as f32 / (cfg.epochs.max(2) - 1) as f32);
        net.temperature = temperature;
        let hard = epoch + cfg.hard_epochs > cfg.epochs;
        let lr = learning_rate(cfg, epoch);
        let steps = n.div_ceil(cfg.batch);
        on_event(Event::EpochStart { epoch, steps });
        let (mut loss_sum, mut correct, mut step_times) = (0.0, 0.0, Vec::with_capacity(steps));
        for chunk in order.chunks(cfg.batch) {
            let t = Instant::now();
            let labels: Vec<u32> = chunk.iter().map(|&i| train.y[i]).collect();
            let (loss_value, acc);
            if cfg.backend == Backend::Fused {
                let logits = fused_logits(&net);
                let network =
                    fused::Network { wiring: &wiring, logits: &logits, classes, tau: cfg.tau, temperature, hard };
                let r = fused::step(&network, train_host, chunk, &labels);
                let inner = Device::flex();
                let mut grads = GradientsParams::new();
                for (p, g) in param_of.iter().zip(r.grads) {
                    if let Some(&i) = p.as_ref() {
                        let l = &net.layers[i];
                        grads
                            .register(l.logits.id, Tensor::<2>::from_data(TensorData::new(g, [l.width(), 16]), &inner));
                    }
                }
                net = optim.step(lr, net, grads);
                (loss_value, acc) = (r.loss, r.correct as f64 / chunk.len() as f64);
            } else {
                let idx: Vec<i64> = chunk.iter().map(|&i| i as i64).collect();
                let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [chunk.len()]), &device);
                let xb = burn_x.as_ref().expect("built for generic ops").0.clone().select(1, idx);
                let scores = net.forward(xb);
                let loss = cross_entropy_with_logits(scores.clone(), onehot(&labels, classes, &device));
                loss_value = loss.clone().into_scalar::<f32>() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optim.step(lr, net, grads);
                acc = accuracy(scores.detach(), &labels);
            }
            step_times.push(t.elapsed().as_secs_f64() * 1e3);
            loss_sum += loss_value * chunk.len() as f64;
            correct += acc * chunk.len() as f64;
            on_event(Event::Step { loss: loss_value, acc });
        }
        // Relaxed test accuracy (no gradients).
        let relaxed_correct = if cfg.backend == Backend::Fused {
            let all: Vec<usize> = (0..test.len()).collect();
            let logits = fused_logits(&net);
            let network = fused::Network { wiring: &wiring, logits: &logits, classes, tau: cfg.tau, temperature, hard };
            let pred = fused::predict(&network, test_host, &all);
            pred.iter().zip(&test.y).filter(|(p, y)| **p == **y as usize).count() as f64
        } else {
            let valid = net.valid();
            let mut c = 0.0;
            for start in (0..test.len()).step_by(1000) {
                let end = (start + 1000).min(test.len());
                let xb = burn_x.as_ref().expect("built for generic ops").1.clone().inner().slice([0..bits, start..end]);
                c += accuracy(valid.forward(xb), &test.y[start..end]) * (end - start) as f64;
            }
            c
        };
        model = export(&net)?;
        let test_acc_discrete = discrete_accuracy(&model, test)?;
        step_times.sort_by(f64::total_cmp);
        let record = EpochRecord {
            epoch,
            loss: loss_sum / n as f64,
            train_acc: correct / n as f64,
            test_acc_relaxed: relaxed_correct / test.len().max(1) as f64,
            test_acc_discrete,
            seconds: t_epoch.elapsed().as_secs_f64(),
            step_ms: step_times[step_times.len() / 2],
        };
        history.push(record.clone());
        if let Some(path) = &cfg.checkpoint {
            let optimizer = optim.to_record().into_bytes().map_err(|e| Error::Io(format!("optimizer state: {e:?}")))?;
            let c = checkpoint::Checkpoint {
                epoch,
                fingerprint: fingerprint.clone(),
                param_ids: net.layers.iter().map(|l| l.logits.id.val()).collect(),
                logits: net.host_logits(),
                optimizer: optimizer.to_vec(),
                history: history.clone(),
            };
            checkpoint::save(&c, path)?;
        }
        on_event(Event::EpochEnd(record, Box::new(model.clone())));
    }
    Ok((model, enc, history))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_schedule_starts_at_lr_and_falls_without_reaching_zero() {
        let cfg = TrainConfig { lr: 0.03, epochs: 10, cosine: true, ..TrainConfig::default() };
        let lrs: Vec<f64> = (1..=10).map(|e| learning_rate(&cfg, e)).collect();
        assert_eq!(lrs[0], 0.03);
        assert!(lrs.windows(2).all(|w| w[1] < w[0]), "{lrs:?}");
        assert!(lrs[9] > 0.0, "{lrs:?}");
        let flat = TrainConfig { cosine: false, ..cfg };
        assert!((1..=10).all(|e| learning_rate(&flat, e) == 0.03));
    }

    #[test]
    fn shuffled_is_a_seeded_permutation() {
        let a = shuffled(1000, &mut ChaCha8Rng::seed_from_u64(7));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(a, sorted, "the order is shuffled");
        assert_eq!(a, shuffled(1000, &mut ChaCha8Rng::seed_from_u64(7)), "the same seed gives the same order");
        assert_ne!(a, shuffled(1000, &mut ChaCha8Rng::seed_from_u64(8)));
    }
}
