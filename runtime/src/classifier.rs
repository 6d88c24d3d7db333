//! A ready-to-use classifier: encoder + engine + batching over threads.

use rayon::prelude::*;

use lgn_compiler::Model;

use crate::count;
use crate::encode::{Encoder, Inputs, PackBuffer};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// A compiled model that classifies raw samples. Evaluation runs on rayon's current thread pool (install a
/// pool with `ThreadPool::install` to choose the thread count).
pub struct Classifier {
    encoder: Encoder,
    engine: Box<dyn Engine>,
}

/// Per-thread buffers for one block.
struct Buffers {
    scratch: Vec<u64>,
    out: Vec<u64>,
    pack: PackBuffer,
}

impl Classifier {
    /// Combines a model's encoder with an engine compiled from the same model.
    pub fn new(model: &Model, engine: Box<dyn Engine>) -> Result<Classifier> {
        let encoder = Encoder::new(model.encoder());
        if encoder.bits() != engine.num_inputs() || model.classes != engine.classes() {
            return Err(Error::Shape(format!(
                "engine has {} inputs and {} classes, model {} and {}",
                engine.num_inputs(),
                engine.classes(),
                encoder.bits(),
                model.classes
            )));
        }
        Ok(Classifier { encoder, engine })
    }

    /// The engine.
    pub fn engine(&self) -> &dyn Engine {
        &*self.engine
    }

    /// Input features per sample.
    pub fn features(&self) -> usize {
        self.encoder.features()
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.engine.classes()
    }

    /// Samples per block.
    pub fn block(&self) -> usize {
        64 * self.engine.words()
    }

    fn check(&self, x: Inputs<'_>) -> Result<usize> {
        let f = self.features();
        if !x.len().is_multiple_of(f) {
            return Err(Error::Shape(format!("{} values is not a whole number of samples of {f} features", x.len())));
        }
        Ok(x.len() / f)
    }

    fn buffers(&self) -> Buffers {
        let e = &self.engine;
        Buffers {
            scratch: vec![0; e.scratch_words()],
            out: vec![0; e.classes() * e.planes() * e.words()],
            pack: PackBuffer::default(),
        }
    }

    /// Runs the blocks of `x` in parallel: `dest` holds `per_sample` values per sample, and `f(count_planes,
    /// dest_of_block)` fills each block's part from its count planes.
    fn for_blocks<T: Send>(
        &self,
        x: Inputs<'_>,
        per_sample: usize,
        dest: &mut [T],
        f: impl Fn(&[u64], &mut [T]) + Sync,
    ) {
        let block = self.block();
        let feats = self.features();
        let words = self.engine.words();
        dest.par_chunks_mut(block * per_sample).enumerate().for_each_init(
            || self.buffers(),
            |buf, (b, d)| {
                let n = d.len() / per_sample;
                let range = b * block * feats..(b * block + n) * feats;
                let xs = match x {
                    Inputs::U8(v) => Inputs::U8(&v[range]),
                    Inputs::F32(v) => Inputs::F32(&v[range]),
                };
                self.encoder.pack(xs, words, &mut buf.scratch, &mut buf.pack);
                self.engine.run(&mut buf.scratch, &mut buf.out);
                f(&buf.out, d);
            },
        );
    }

    /// The predicted class of every sample (ties → lowest class index).
    pub fn predict(&self, x: Inputs<'_>) -> Result<Vec<u32>> {
        let n = self.check(x)?;
        let mut classes = vec![0u32; n];
        let (c, np, w) = (self.classes(), self.engine.planes(), self.engine.words());
        self.for_blocks(x, 1, &mut classes, |planes, d| count::argmax(planes, c, np, w, d));
        Ok(classes)
    }

    /// The class counts of every sample, row-major (`classes` per sample).
    pub fn scores(&self, x: Inputs<'_>) -> Result<Vec<u32>> {
        let n = self.check(x)?;
        let (c, np, w) = (self.classes(), self.engine.planes(), self.engine.words());
        let mut out = vec![0u32; n * c];
        self.for_blocks(x, c, &mut out, |planes, d| count::counts(planes, c, np, w, d));
        Ok(out)
    }
}
