//! The command line: every command and option, with help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compiler and runtime for logic gate networks.
#[derive(Parser, Debug)]
#[command(name = "lgn", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a logic gate network on a data set and write the discretized model (needs the `train` feature).
    Train(TrainArgs),
    /// Write a randomly initialised model of a given shape (for benchmarks and tests).
    Init(InitArgs),
    /// Show a model's layers, gate counts, gate-type histogram and depth.
    Inspect(InspectArgs),
    /// Optimise a model's logic (fewer gates, same function) and write it as a new model file.
    Opt(OptArgs),
    /// List the optimisation passes.
    Passes,
    /// Write the model as a C library or as Verilog (with a testbench).
    Emit(EmitArgs),
    /// Simulate the model's Verilog with Icarus Verilog against golden vectors from the interpreter.
    VerifyVerilog(VerifyVerilogArgs),
    /// Measure a model's accuracy on a data set.
    Eval(EvalArgs),
    /// Measure throughput (images/second) of an engine on a model.
    Bench(BenchArgs),
    /// The main job on the shipped data: make a model, compile it, report accuracy and images/second.
    Demo(DemoArgs),
}

/// Which engine evaluates the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// Native code compiled in-process by Cranelift.
    Jit,
    /// The table-driven reference interpreter.
    Interp,
    /// The C backend, built with the system C compiler (`$CC` or `cc`) and loaded.
    C,
}

/// Options shared by the commands that run a model.
#[derive(Args, Debug, Clone)]
pub struct RunOpts {
    /// Engine.
    #[arg(long, value_enum, default_value_t = EngineKind::Jit)]
    pub engine: EngineKind,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Logic optimisation level before compiling (0: none, 1: constants/inverters/dead gates, 2: + hashing).
    #[arg(short = 'O', long = "opt-level", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub opt_level: u8,
    /// JIT: code generator.
    #[arg(long, value_enum, default_value_t = CodegenKind::Auto)]
    pub codegen: CodegenKind,
    /// JIT: vectors per signal (a block holds 128 × N samples with Cranelift, 256 × N with AVX2, 512 × N with
    /// AVX-512); 0 times 1 and 2 (and, with `--codegen auto` on an AVX-512 CPU, AVX-512 against AVX2) on this
    /// machine and thread count and keeps the fastest (networks above 250k gates get 1: their code no longer
    /// fits the caches).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=8))]
    pub vectors: u8,
    /// JIT: gates per generated function.
    #[arg(long, default_value_t = 2048)]
    pub chunk: usize,
    /// JIT: recent gates whose values stay in registers.
    #[arg(long, default_value_t = 8)]
    pub window: usize,
    /// JIT: Cranelift optimisation level.
    #[arg(long, value_enum, default_value_t = JitOpt::None)]
    pub jit_opt: JitOpt,
}

/// JIT code generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CodegenKind {
    /// Direct AVX2 code when the CPU has AVX2, else Cranelift.
    Auto,
    /// Cranelift (portable, 128-bit vectors).
    Cranelift,
    /// Direct AVX2 emitter (256-bit vectors).
    Avx2,
    /// Direct AVX-512 emitter (512-bit vectors, one instruction per gate).
    Avx512,
}

/// Cranelift optimisation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JitOpt {
    /// No optimisation (fastest compile).
    None,
    /// Cranelift's `speed`.
    Speed,
}

/// `lgn init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Input features per sample (e.g. 784 for MNIST).
    #[arg(long, default_value_t = 784)]
    pub inputs: usize,
    /// Input shape instead of --inputs, e.g. `1,28,28`.
    #[arg(long, value_delimiter = ',', conflicts_with = "inputs")]
    pub shape: Option<Vec<usize>>,
    /// Thresholds per input feature (evenly spaced in 0..255).
    #[arg(long, default_value_t = 1)]
    pub thresholds: usize,
    /// Number of dense logic layers.
    #[arg(long, default_value_t = 6)]
    pub layers: usize,
    /// Gates per layer.
    #[arg(long, default_value_t = 8000)]
    pub width: usize,
    /// Number of classes (must divide --width).
    #[arg(long, default_value_t = 10)]
    pub classes: usize,
    /// GroupSum temperature stored in the model.
    #[arg(long, default_value_t = 10.0)]
    pub tau: f32,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A convolutional architecture of the LogicTreeNet paper instead of dense layers: mnist-s, mnist-m,
    /// mnist-l, cifar-s, cifar-m, cifar-b, cifar-l, cifar-g (input shape, layers and tau from the preset).
    #[arg(long, conflicts_with_all = ["inputs", "shape", "layers", "width"])]
    pub preset: Option<String>,
    /// Multiply the preset's channel and dense widths by this factor.
    #[arg(long, default_value_t = 1.0, requires = "preset")]
    pub scale: f64,
    /// Output model file.
    #[arg(short, long, default_value = "model.lgn")]
    pub output: PathBuf,
}

/// `lgn inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also optimise (-O2) and show gates per layer before and after.
    #[arg(long)]
    pub opt: bool,
}

/// `lgn opt`.
#[derive(Args, Debug)]
pub struct OptArgs {
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Output model file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Optimisation level.
    #[arg(short = 'O', long = "opt-level", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub opt_level: u8,
    /// Run these passes (comma-separated, see `lgn passes`) instead of a level's pipeline.
    #[arg(long, value_delimiter = ',')]
    pub passes: Option<Vec<String>>,
    /// Check that the optimised logic equals the original (exhaustive up to 20 inputs, else 65,536 random
    /// input patterns).
    #[arg(long)]
    pub verify: bool,
}

/// `lgn eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Data set name (mnist10k, fashion-mnist, iris, wine, breast-cancer, digits) or path.
    #[arg(long, default_value = "mnist10k")]
    pub data: String,
    /// Which split.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Evaluate only the first N samples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub run: RunOpts,
}

/// `lgn bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Images per timed pass (test images repeated, or random bytes if the data does not fit the model).
    #[arg(long, default_value_t = 102_400)]
    pub batch: usize,
    /// Data set whose test images are used.
    #[arg(long, default_value = "mnist10k")]
    pub data: String,
    /// Timed passes (the best is reported).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub run: RunOpts,
}

/// `lgn demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the model.
    #[arg(short, long, default_value = "demo.lgn")]
    pub output: PathBuf,
    /// Logic layers of the demo network.
    #[arg(long, default_value_t = 6)]
    pub layers: usize,
    /// Neurons per layer.
    #[arg(long, default_value_t = 8000)]
    pub width: usize,
    /// Training epochs (Adam at learning rate 0.01, images shifted by up to 2 pixels, softmax annealed to 0.1).
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    #[command(flatten)]
    pub run: RunOpts,
}

/// What `lgn emit` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmitTarget {
    /// `name.h` + `name.c`.
    C,
    /// `name.v` + `name_tb.v` + golden vectors.
    Verilog,
}

/// Options of the Verilog output.
#[derive(Args, Debug, Clone)]
pub struct VerilogArgs {
    /// Pipeline registers every K gate levels (0: combinational logic, registered outputs).
    #[arg(long, default_value_t = 0)]
    pub pipeline: u32,
    /// Take raw bytes and include the threshold comparators (default: encoded bits as input).
    #[arg(long)]
    pub raw_inputs: bool,
    /// Golden vectors for the testbench.
    #[arg(long, default_value_t = 1000)]
    pub vectors: usize,
}

/// `lgn emit`.
#[derive(Args, Debug)]
pub struct EmitArgs {
    /// Target.
    #[arg(value_enum)]
    pub target: EmitTarget,
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Output folder (created if missing).
    #[arg(short, long, default_value = "out")]
    pub output: PathBuf,
    /// Name of the library / module (a C identifier).
    #[arg(long, default_value = "lgn_model")]
    pub name: String,
    /// Logic optimisation level.
    #[arg(short = 'O', long = "opt-level", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub opt_level: u8,
    #[command(flatten)]
    pub verilog: VerilogArgs,
    /// Verilog: run the testbench with Icarus Verilog after writing.
    #[arg(long)]
    pub verify: bool,
    /// Verilog: run yosys and print LUT/FF counts.
    #[arg(long)]
    pub report: bool,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// `lgn verify-verilog`.
#[derive(Args, Debug)]
pub struct VerifyVerilogArgs {
    /// Model file (.lgn).
    pub model: PathBuf,
    /// Logic optimisation level.
    #[arg(short = 'O', long = "opt-level", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub opt_level: u8,
    #[command(flatten)]
    pub verilog: VerilogArgs,
}

/// Network architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ArchKind {
    /// Dense logic layers.
    Dense,
    /// Logic tree convolutions, OR pooling and dense layers (a preset).
    Conv,
}

/// Logit initialisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InitKind {
    /// Standard normal logits (difflogic).
    Gaussian,
    /// Each neuron starts as a pass-through of its first input (logit of gate "a" = --residual-z).
    Residual,
}

/// How training computes gradients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// Fused forward/backward kernel (hand-written, rayon); parameters and Adam in burn-flex. Fastest.
    Fused,
    /// burn autodiff over generic tensor ops on burn-flex (pure Rust).
    Flex,
    /// burn-ndarray (deprecated by burn; for comparison).
    Ndarray,
}

/// Threshold placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlacementKind {
    /// Uniform for images, quantile for tables.
    Auto,
    /// Evenly spaced over the value range, shared by all features.
    Uniform,
    /// Per-feature quantiles of the training data.
    Quantile,
}

/// `lgn train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Data set name (mnist10k, fashion-mnist, monk1..3, iris, wine, breast-cancer, digits) or path.
    #[arg(long, default_value = "mnist10k")]
    pub data: String,
    /// Number of logic layers.
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    /// Neurons per layer (the last layer's width must be divisible by the class count).
    #[arg(long, default_value_t = 4000)]
    pub width: usize,
    /// GroupSum temperature (default: 10 for dense networks, the preset's for convolutional ones). With
    /// --scale, consider the preset's tau times the scale: it keeps the range of the class scores, and the gap
    /// between relaxed and discretized accuracy stayed smaller (the README shows the runs).
    #[arg(long)]
    pub tau: Option<f32>,
    /// Architecture: dense logic layers (--layers, --width), or a convolutional logic tree network (--preset).
    #[arg(long, value_enum, default_value_t = ArchKind::Dense)]
    pub arch: ArchKind,
    /// Convolutional architecture with --arch conv: mnist-s, mnist-m, mnist-l, cifar-s, cifar-m, cifar-b,
    /// cifar-l, cifar-g (the LogicTreeNet paper's).
    #[arg(long, default_value = "mnist-s")]
    pub preset: String,
    /// Multiply the preset's channel and dense widths by this factor (e.g. 0.5 to train faster on a CPU).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Thresholds per input feature.
    #[arg(long, default_value_t = 1)]
    pub thresholds: usize,
    /// Threshold placement.
    #[arg(long, value_enum, default_value_t = PlacementKind::Auto)]
    pub placement: PlacementKind,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Lower the learning rate along a half cosine over the epochs (from --lr towards 0).
    #[arg(long)]
    pub cosine: bool,
    /// Logit initialisation (default: gaussian for dense networks, residual for convolutional ones).
    #[arg(long, value_enum)]
    pub init: Option<InitKind>,
    /// Logit of the pass-through gate with --init residual.
    #[arg(long, default_value_t = 5.0)]
    pub residual_z: f32,
    /// Random seed (wiring, initialisation, shuffling).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Anneal the gates' softmax temperature from 1 to this value over the epochs (1: off); sharper gate
    /// distributions late in training shrink the gap between relaxed and discretized accuracy.
    #[arg(long, default_value_t = 1.0)]
    pub anneal: f32,
    /// Augmentation: translate each training image by up to N pixels (random, anew each epoch).
    #[arg(long, default_value_t = 0)]
    pub shift: usize,
    /// Train the last N epochs straight-through: the forward pass runs the discretized network (each neuron's
    /// most likely gate) while the gradients flow through the softmax, so the network is fine-tuned as it will
    /// be discretized (the README shows where it helped).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub hard_epochs: usize,
    /// Use only the first N training samples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Gradient computation: the fused kernel or burn's generic ops on a CPU backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Fused)]
    pub backend: BackendKind,
    /// Output model file (rewritten atomically after every epoch).
    #[arg(short, long, default_value = "model.lgn")]
    pub output: PathBuf,
    /// Checkpoint (logits and optimizer state) rewritten after every epoch; default: the model path with `.ckpt`.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Continue an interrupted run from its checkpoint; give the same options (`--epochs` is the total).
    #[arg(long)]
    pub resume: bool,
    /// Fine-tune: start from the gate logits of this checkpoint (a `.ckpt` of a run with the same architecture,
    /// thresholds, seed and data shape), with a fresh optimizer and learning-rate schedule; every other option
    /// (--lr, --epochs, --shift, --tau, --hard-epochs, the data path) may differ. Write to a new --output.
    #[arg(long, value_name = "CKPT")]
    pub init_from: Option<PathBuf>,
    /// Loss/accuracy plot (SVG); default: the model path with `.svg`.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print a JSON summary at the end.
    #[arg(long)]
    pub json: bool,
}
