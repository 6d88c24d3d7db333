//! Input encoding for training: fitting thresholds and turning samples into {0, 1} features.
//!
//! The bits are exactly the runtime's (`Threshold` semantics, threshold-major order), so the trained network
//! sees what the compiled one will see.

use lgn_compiler::model::{Comparison, Threshold};
use lgn_runtime::data::{Dataset, Features};

/// How thresholds are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// `k` thresholds shared by all features, evenly spaced over the data's value range.
    Uniform,
    /// Per feature, the `j/(k+1)` quantiles of its training values (for tables).
    Quantile,
}

/// Fits `k` thresholds per feature on `train`.
pub fn fit(train: &Dataset, k: usize, placement: Placement) -> Threshold {
    let f = train.features();
    match (placement, &train.x) {
        (Placement::Uniform, Features::U8(_)) => Threshold::uniform(f, k, 0.0, 255.0),
        (Placement::Uniform, Features::F32(x)) => {
            let lo = x.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            Threshold::uniform(f, k, lo, hi)
        }
        (Placement::Quantile, _) => {
            let n = train.len();
            let mut values = Vec::with_capacity(f * k);
            for ft in 0..f {
                let mut col: Vec<f32> = (0..n).map(|s| value(train, s, ft)).collect();
                col.sort_by(f32::total_cmp);
                for j in 0..k {
                    let q = ((j + 1) * n / (k + 1)).min(n.saturating_sub(1));
                    values.push(col.get(q).copied().unwrap_or(0.0));
                }
            }
            Threshold { features: f, per_feature: k, shared: false, comparison: Comparison::Gt, values }
        }
    }
}

fn value(d: &Dataset, s: usize, f: usize) -> f32 {
    let nf = d.features();
    match &d.x {
        Features::U8(x) => x[s * nf + f] as f32,
        Features::F32(x) => x[s * nf + f],
    }
}

/// The encoded bits of every sample, feature-major: `[bits, samples]`, bit `j * features + f`.
pub fn encode(d: &Dataset, t: &Threshold) -> Vec<f32> {
    let (n, nf) = (d.len(), d.features());
    let bits = t.outputs();
    let mut out = vec![0f32; bits * n];
    for j in 0..t.per_feature {
        for f in 0..nf {
            let thr = t.threshold(f, j);
            let row = &mut out[(j * nf + f) * n..(j * nf + f + 1) * n];
            for (s, o) in row.iter_mut().enumerate() {
                *o = t.comparison.test(value(d, s, f), thr) as u8 as f32;
            }
        }
    }
    out
}
