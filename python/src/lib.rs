//! Python bindings of lgn: load or build a model, compile it in-process, predict on numpy arrays.
//!
//! The Python package `lgn` (python/lgn/) wraps this module (`lgn._lgn`). Evaluation releases the GIL and runs
//! on a rayon pool of the requested size; inputs are taken without copying when they are C-contiguous `uint8`
//! or `float32` arrays, and converted by numpy otherwise.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use lgn_compiler::GateOp;
use lgn_compiler::model::{Comparison, Dense, Layer, MapShape, OrPool, Threshold, TreeConv};
use lgn_compiler::passes::OptLevel;
use lgn_runtime::{CompileOptions, Compiled, EngineKind, Inputs};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Errors from the compiler: files that cannot be read become `OSError`, everything else `ValueError`.
fn compiler_err(e: lgn_compiler::Error) -> PyErr {
    match e {
        lgn_compiler::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        e => value_err(e),
    }
}

fn runtime_err(e: lgn_runtime::Error) -> PyErr {
    match e {
        lgn_runtime::Error::Compiler(e) => compiler_err(e),
        e => value_err(e),
    }
}

/// How a model is compiled: engine, optimisation level and threads.
#[derive(Clone, Debug)]
struct Options {
    engine: EngineKind,
    opt: OptLevel,
    threads: Option<usize>,
}

impl Options {
    fn new(engine: &str, opt_level: u8, threads: Option<usize>) -> PyResult<Options> {
        let engine = engine.parse::<EngineKind>().map_err(value_err)?;
        let opt = OptLevel::from_number(opt_level)
            .ok_or_else(|| value_err(format!("opt_level must be 0, 1 or 2, got {opt_level}")))?;
        if threads == Some(0) {
            return Err(value_err("threads must be at least 1 (or None for all cores)"));
        }
        Ok(Options { engine, opt, threads })
    }

    fn compile_options(&self) -> CompileOptions {
        CompileOptions { engine: self.engine, opt: self.opt, ..Default::default() }
    }
}

/// A logic gate network, compiled to native code on first use.
#[pyclass(module = "lgn", name = "Model", frozen)]
struct Model {
    model: lgn_compiler::Model,
    options: Options,
    pool: Option<Arc<rayon::ThreadPool>>,
    compiled: OnceLock<Compiled>,
}

impl Model {
    fn new(model: lgn_compiler::Model, options: Options) -> PyResult<Model> {
        let pool = match options.threads {
            None => None,
            Some(n) => Some(Arc::new(
                rayon::ThreadPoolBuilder::new().num_threads(n).build().map_err(|e| value_err(e.to_string()))?,
            )),
        };
        Ok(Model { model, options, pool, compiled: OnceLock::new() })
    }

    /// The compiled model, compiling it now if needed (without the GIL).
    fn compiled(&self, py: Python<'_>) -> PyResult<&Compiled> {
        if let Some(c) = self.compiled.get() {
            return Ok(c);
        }
        let opts = self.options.compile_options();
        // On the model's pool: the JIT times its block sizes on the threads that will run it.
        let c = py.detach(|| self.run(|| lgn_runtime::compile(&self.model, &opts))).map_err(runtime_err)?;
        let _ = self.compiled.set(c);
        Ok(self.compiled.get().expect("just set"))
    }

    fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }

    /// Runs `f` on the samples of `x` (any array-like of shape `(n, *input_shape)` or `(n, features)`).
    fn with_inputs<'py, T: Send>(
        &self,
        x: &Bound<'py, PyAny>,
        f: impl FnOnce(Inputs<'_>, usize) -> lgn_runtime::Result<T> + Send,
    ) -> PyResult<T> {
        let py = x.py();
        let features = self.model.features();
        let np = py.import("numpy")?;
        if np.call_method1("ndim", (x,))?.extract::<usize>()? == 0 {
            return Err(value_err("expected an array of samples, got a scalar"));
        }
        let is_u8 = x.extract::<PyReadonlyArrayDyn<'py, u8>>().is_ok();
        let arr = np.call_method1("ascontiguousarray", (x, if is_u8 { "uint8" } else { "float32" }))?;
        let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
        let n = match shape.len() {
            1 if shape[0] == features => 1,
            _ => {
                let per: usize = shape[1..].iter().product();
                if per != features || shape.len() == 1 {
                    return Err(value_err(format!(
                        "input shape {shape:?} does not fit the model: expected (n, {}) or (n, {features})",
                        self.model.input_shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                    )));
                }
                shape[0]
            }
        };
        if is_u8 {
            let a = arr.extract::<PyReadonlyArrayDyn<'py, u8>>()?;
            let s = a.as_slice().map_err(value_err)?;
            py.detach(|| self.run(|| f(Inputs::U8(s), n))).map_err(runtime_err)
        } else {
            let a = arr.extract::<PyReadonlyArrayDyn<'py, f32>>()?;
            let s = a.as_slice().map_err(value_err)?;
            py.detach(|| self.run(|| f(Inputs::F32(s), n))).map_err(runtime_err)
        }
    }
}

#[pymethods]
impl Model {
    /// Predicted class of each sample, as an int64 array of length n.
    fn predict<'py>(&self, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let py = x.py();
        let c = self.compiled(py)?;
        let pred = self.with_inputs(x, |inp, _| c.clf.predict(inp))?;
        Ok(PyArray1::from_vec(py, pred.into_iter().map(i64::from).collect()))
    }

    /// GroupSum counts, an int64 array of shape (n, classes); divide by `tau` for the training scores.
    fn scores<'py>(&self, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = x.py();
        let c = self.compiled(py)?;
        let (counts, n) = self.with_inputs(x, |inp, n| Ok((c.clf.scores(inp)?, n)))?;
        let flat = PyArray1::from_vec(py, counts.into_iter().map(i64::from).collect());
        Ok(flat.reshape([n, self.model.classes])?.into_any())
    }

    /// Returns the same network compiled with other options (a new object; this one is unchanged).
    #[pyo3(signature = (engine = "jit", threads = None, opt_level = 2))]
    fn compile(&self, py: Python<'_>, engine: &str, threads: Option<usize>, opt_level: u8) -> PyResult<Model> {
        let m = Model::new(self.model.clone(), Options::new(engine, opt_level, threads)?)?;
        m.compiled(py)?;
        Ok(m)
    }

    /// Writes the network to a `.lgn` file (atomically).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        lgn_compiler::model::save(&self.model, &path).map_err(compiler_err)
    }

    /// A dict describing the network and how it is compiled.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let m = &self.model;
        d.set_item("input_shape", m.input_shape.clone())?;
        d.set_item("features", m.features())?;
        d.set_item("classes", m.classes)?;
        d.set_item("tau", m.tau)?;
        d.set_item("gates", m.gate_count())?;
        let layers = PyList::empty(py);
        for l in &m.layers {
            let e = PyDict::new(py);
            e.set_item("kind", l.kind())?;
            match l {
                Layer::Threshold(t) => {
                    e.set_item("thresholds_per_feature", t.per_feature)?;
                    e.set_item("outputs", t.outputs())?;
                }
                Layer::Dense(dl) => {
                    e.set_item("inputs", dl.inputs)?;
                    e.set_item("outputs", dl.outputs())?;
                }
                Layer::Netlist(nl) => {
                    e.set_item("inputs", nl.inputs)?;
                    e.set_item("gates", nl.gates.len())?;
                }
                Layer::TreeConv(c) => {
                    e.set_item("input", c.input.to_vec())?;
                    e.set_item("output", c.output().map(|o| o.to_vec()))?;
                    e.set_item("depth", c.depth)?;
                    e.set_item("kernel", c.kernel)?;
                    e.set_item("gates", c.gates.len())?;
                }
                Layer::OrPool(p) => {
                    e.set_item("input", p.input.to_vec())?;
                    e.set_item("output", p.output().map(|o| o.to_vec()))?;
                    e.set_item("size", p.size)?;
                    e.set_item("stride", p.stride)?;
                    e.set_item("padding", p.padding)?;
                }
                Layer::GroupSum => {}
            }
            layers.append(e)?;
        }
        d.set_item("layers", layers)?;
        d.set_item("engine", self.options.engine.name())?;
        d.set_item("opt_level", self.options.opt.number())?;
        d.set_item("threads", self.options.threads)?;
        if let Some(c) = self.compiled.get() {
            d.set_item("compiled_gates", c.gates)?;
            d.set_item("compile_seconds", c.time.as_secs_f64())?;
        }
        Ok(d)
    }

    /// Number of input features (product of the input shape).
    #[getter]
    fn features(&self) -> usize {
        self.model.features()
    }

    /// Number of classes.
    #[getter]
    fn classes(&self) -> usize {
        self.model.classes
    }

    /// Shape of one input sample.
    #[getter]
    fn input_shape(&self) -> Vec<usize> {
        self.model.input_shape.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "lgn.Model(input_shape={:?}, classes={}, gates={}, engine={:?})",
            self.model.input_shape,
            self.model.classes,
            self.model.gate_count(),
            self.options.engine.name()
        )
    }
}

/// Loads a `.lgn` file and compiles it.
#[pyfunction]
#[pyo3(signature = (path, engine = "jit", threads = None, opt_level = 2))]
fn load(py: Python<'_>, path: PathBuf, engine: &str, threads: Option<usize>, opt_level: u8) -> PyResult<Model> {
    let options = Options::new(engine, opt_level, threads)?;
    let model = lgn_compiler::model::load(&path).map_err(compiler_err)?;
    let m = Model::new(model, options)?;
    m.compiled(py)?;
    Ok(m)
}

/// A convolutional network of a LogicTreeNet preset (`mnist-s` … `cifar-g`) with random gates, for
/// benchmarks: widths multiplied by `scale`, `thresholds` per input feature.
#[pyfunction]
#[pyo3(signature = (name, scale = 1.0, thresholds = 1, seed = 0))]
fn preset_model(name: &str, scale: f64, thresholds: usize, seed: u64) -> PyResult<Model> {
    if !(scale.is_finite() && scale > 0.0) || thresholds == 0 {
        return Err(value_err(format!("need scale > 0 and thresholds >= 1, got {scale} and {thresholds}")));
    }
    let mut spec = lgn_compiler::model::random::preset(name, scale, thresholds).ok_or_else(|| {
        value_err(format!("unknown preset {name:?} (known: {})", lgn_compiler::model::random::PRESETS.join(", ")))
    })?;
    spec.seed = seed;
    let model = spec.build().map_err(compiler_err)?;
    Model::new(model, Options::new("jit", 2, None)?)
}

/// Builds a dense network: thresholds, logic layers `(gate ids, input a, input b)`, GroupSum.
///
/// `thresholds` is a 1-D array of k thresholds shared by all features or a 2-D array `(features, k)`; encoded
/// bit `j * features + f` is `x[f] > t[f, j]` (`>=` with `comparison="ge"`), as in difflogic's examples.
#[pyfunction]
#[pyo3(signature = (input_shape, thresholds, layers, classes, tau, comparison = "gt"))]
fn dense_model<'py>(
    input_shape: Vec<usize>,
    thresholds: &Bound<'py, PyAny>,
    layers: Vec<(PyReadonlyArray1<'py, u8>, PyReadonlyArray1<'py, i64>, PyReadonlyArray1<'py, i64>)>,
    classes: usize,
    tau: f32,
    comparison: &str,
) -> PyResult<Model> {
    let mut model = start(input_shape, thresholds, comparison, classes, tau)?;
    for (i, (g, a, b)) in layers.iter().enumerate() {
        let (g, a, b) =
            (g.as_slice().map_err(value_err)?, a.as_slice().map_err(value_err)?, b.as_slice().map_err(value_err)?);
        let d = dense_layer(i, model.output_bits(), g, a, b)?;
        model.layers.push(Layer::Dense(d));
    }
    finish(model)
}

/// Builds a network with spatial layers: thresholds, then `layers` as dicts by `"kind"`, then GroupSum.
///
/// - `{"kind": "tree_conv", "gates": uint8 (channels, 2^depth - 1), "leaves": int (channels, 2^depth, 3),
///   "kernel", "stride", "padding"}`: a logic tree convolution; gates in tree order (the first level's nodes,
///   then the next level's, the root last), node `j` of the first level reading leaves `2j` and `2j + 1`;
///   a leaf is `(input channel, dy, dx)`.
/// - `{"kind": "or_pool", "size", "stride", "padding"}`: OR pooling.
/// - `{"kind": "dense", "gates", "a", "b"}`: a dense logic layer over the flattened map or previous layer.
///
/// `input_shape` is `(c, h, w)` (or `(h, w)`); threshold `j` of input channel `ch` is map channel `j * c + ch`.
/// Thresholds as in [`dense_model`].
#[pyfunction]
#[pyo3(signature = (input_shape, thresholds, layers, classes, tau, comparison = "gt"))]
fn conv_model<'py>(
    input_shape: Vec<usize>,
    thresholds: &Bound<'py, PyAny>,
    layers: Vec<Bound<'py, PyDict>>,
    classes: usize,
    tau: f32,
    comparison: &str,
) -> PyResult<Model> {
    let mut model = start(input_shape, thresholds, comparison, classes, tau)?;
    let mut map = model.input_map();
    for (i, d) in layers.iter().enumerate() {
        let kind: String = entry(d, i, "kind")?.extract()?;
        let need_map = || {
            map.ok_or_else(|| {
                value_err(format!(
                    "layer {i}: {kind} needs a feature map (an image input_shape and no dense layer before)"
                ))
            })
        };
        // The map a spatial layer makes (validation would reject a layer that does not fit; the next layer
        // needs its shape now).
        let fits = |out: Option<MapShape>, input: MapShape| {
            out.ok_or_else(|| value_err(format!("layer {i}: the {kind} does not fit the {input:?} map")))
        };
        let layer = match kind.as_str() {
            "tree_conv" => {
                let input = need_map()?;
                let gates = array::<u8>(d, i, "gates")?;
                let leaves = array::<i64>(d, i, "leaves")?;
                let (channels, gpt) = match gates.shape() {
                    [c, g] => (*c, *g),
                    s => return Err(value_err(format!("layer {i}: gates of shape {s:?}, expected (channels, nodes)"))),
                };
                let depth = (gpt + 1).trailing_zeros();
                if gpt == 0 || (gpt + 1) != 1 << depth || leaves.shape() != [channels, gpt + 1, 3] {
                    return Err(value_err(format!(
                        "layer {i}: gates {:?} and leaves {:?}: need (channels, 2^d - 1) and (channels, 2^d, 3)",
                        gates.shape(),
                        leaves.shape()
                    )));
                }
                let leaves = leaves
                    .as_slice()
                    .map_err(value_err)?
                    .chunks(3)
                    .map(|l| {
                        let f = |v: i64| u32::try_from(v).map_err(|_| value_err(format!("layer {i}: leaf {l:?}")));
                        Ok([f(l[0])?, f(l[1])?, f(l[2])?])
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                let c = TreeConv {
                    input,
                    channels,
                    depth,
                    kernel: size(d, i, "kernel")?,
                    stride: size(d, i, "stride")?,
                    padding: size(d, i, "padding")?,
                    gates: gate_ops(i, gates.as_slice().map_err(value_err)?)?,
                    leaves,
                };
                map = Some(fits(c.output(), input)?);
                Layer::TreeConv(c)
            }
            "or_pool" => {
                let input = need_map()?;
                let p = OrPool {
                    input,
                    size: size(d, i, "size")?,
                    stride: size(d, i, "stride")?,
                    padding: size(d, i, "padding")?,
                };
                map = Some(fits(p.output(), input)?);
                Layer::OrPool(p)
            }
            "dense" => {
                let (g, a, b) = (array::<u8>(d, i, "gates")?, array::<i64>(d, i, "a")?, array::<i64>(d, i, "b")?);
                let (g, a, b) = (
                    g.as_slice().map_err(value_err)?,
                    a.as_slice().map_err(value_err)?,
                    b.as_slice().map_err(value_err)?,
                );
                map = None;
                Layer::Dense(dense_layer(i, model.output_bits(), g, a, b)?)
            }
            k => return Err(value_err(format!("layer {i}: unknown kind {k:?} (tree_conv, or_pool, dense)"))),
        };
        model.layers.push(layer);
    }
    finish(model)
}

/// A required entry of a layer dict.
fn entry<'py>(d: &Bound<'py, PyDict>, i: usize, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?.ok_or_else(|| value_err(format!("layer {i}: no {key:?}")))
}

/// A required size entry of a layer dict.
fn size(d: &Bound<'_, PyDict>, i: usize, key: &str) -> PyResult<usize> {
    entry(d, i, key)?.extract().map_err(|e: PyErr| value_err(format!("layer {i}: {key:?}: {e}")))
}

/// A required array entry of a layer dict, as a contiguous array of `T`.
fn array<'py, T: numpy::Element>(d: &Bound<'py, PyDict>, i: usize, key: &str) -> PyResult<PyReadonlyArrayDyn<'py, T>> {
    let v = entry(d, i, key)?;
    let np = d.py().import("numpy")?;
    let dtype = numpy::dtype::<T>(d.py());
    np.call_method1("ascontiguousarray", (v, dtype))?
        .extract()
        .map_err(|e: PyErr| value_err(format!("layer {i}: {key:?}: {e}")))
}

/// A model of `input_shape` with only its threshold encoder (from a `(k,)` or `(features, k)` array) so far.
fn start(
    input_shape: Vec<usize>,
    thresholds: &Bound<'_, PyAny>,
    comparison: &str,
    classes: usize,
    tau: f32,
) -> PyResult<lgn_compiler::Model> {
    let features: usize = input_shape.iter().product();
    let comparison = match comparison {
        "gt" => Comparison::Gt,
        "ge" => Comparison::Ge,
        c => return Err(value_err(format!("comparison must be \"gt\" or \"ge\", got {c:?}"))),
    };
    let t = thresholds.py().import("numpy")?.call_method1("ascontiguousarray", (thresholds, "float32"))?;
    let t = t.extract::<PyReadonlyArrayDyn<'_, f32>>()?;
    let (per_feature, shared) = match t.shape() {
        [k] => (*k, true),
        [f, k] if *f == features => (*k, false),
        s => return Err(value_err(format!("thresholds must have shape (k,) or ({features}, k), got {s:?}"))),
    };
    let values = t.as_slice().map_err(value_err)?.to_vec();
    let enc = Threshold { features, per_feature, shared, comparison, values };
    Ok(lgn_compiler::Model { input_shape, layers: vec![Layer::Threshold(enc)], classes, tau })
}

/// Gate ids checked into gates.
fn gate_ops(i: usize, ids: &[u8]) -> PyResult<Vec<GateOp>> {
    ids.iter()
        .map(|&id| GateOp::from_id(id).ok_or_else(|| value_err(format!("layer {i}: gate id {id} is not in 0..16"))))
        .collect()
}

/// Dense layer `i` over `prev` inputs.
fn dense_layer(i: usize, prev: usize, g: &[u8], a: &[i64], b: &[i64]) -> PyResult<Dense> {
    if a.len() != g.len() || b.len() != g.len() {
        return Err(value_err(format!("layer {i}: {} gates but {} and {} input indices", g.len(), a.len(), b.len())));
    }
    let wire = |w: i64| {
        u32::try_from(w)
            .ok()
            .filter(|&w| (w as usize) < prev)
            .ok_or_else(|| value_err(format!("layer {i}: input index {w} out of range for {prev} inputs")))
    };
    let wires = a.iter().zip(b).map(|(&x, &y)| Ok([wire(x)?, wire(y)?])).collect::<PyResult<Vec<_>>>()?;
    Ok(Dense { inputs: prev, gates: gate_ops(i, g)?, wires })
}

/// Appends GroupSum, validates, and wraps the model for the JIT.
fn finish(mut model: lgn_compiler::Model) -> PyResult<Model> {
    model.layers.push(Layer::GroupSum);
    model.validate().map_err(compiler_err)?;
    Model::new(model, Options::new("jit", 2, None)?)
}

/// The compiled part of the `lgn` Python package.
#[pymodule]
fn _lgn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(dense_model, m)?)?;
    m.add_function(wrap_pyfunction!(conv_model, m)?)?;
    m.add_function(wrap_pyfunction!(preset_model, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
