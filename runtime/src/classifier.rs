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
    scratch: Aligned,
    out: Vec<u64>,
    pack: PackBuffer,
}

/// Zeroed words whose first starts a 64-byte cache line, so that no vector load or store of the compiled
/// code (32 or 64 bytes, at multiples of its size from the start) straddles two lines.
struct Aligned {
    buf: Vec<u64>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn new(len: usize) -> Aligned {
        let buf = vec![0u64; len + 7];
        // A `u64` allocation is 8-byte aligned, so the offset is 0..=7 words.
        let start = buf.as_ptr().align_offset(64).min(7);
        Aligned { buf, start, len }
    }

    fn words(&mut self) -> &mut [u64] {
        &mut self.buf[self.start..self.start + self.len]
    }
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
            scratch: Aligned::new(e.scratch_words()),
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
                self.encoder.pack(xs, words, buf.scratch.words(), &mut buf.pack);
                self.engine.run(buf.scratch.words(), &mut buf.out);
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

#[cfg(test)]
mod tests {
    use super::Aligned;

    #[test]
    fn scratch_starts_a_cache_line_and_has_its_length() {
        for len in [0, 1, 7, 8, 9, 1000, 12345] {
            let mut a = Aligned::new(len);
            let w = a.words();
            assert_eq!(w.len(), len);
            assert_eq!(w.as_ptr() as usize % 64, 0, "length {len}");
            assert!(w.iter().all(|&x| x == 0));
        }
    }
}
