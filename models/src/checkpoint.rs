//! Training checkpoints: what it takes to continue a run exactly where it stopped.
//!
//! A checkpoint is a safetensors file (written atomically after every epoch) holding each layer's logits, the
//! Adam state (burn's own `OptimizerRecord` bytes), and in its metadata the completed epoch count, the
//! parameter ids the Adam state refers to, the history so far, and a fingerprint of the configuration and
//! data. Wiring and thresholds are not stored: they are functions of the seed and the data, which the
//! fingerprint pins. Shuffling is seeded per epoch, so a resumed run continues with the batches the
//! uninterrupted run would have seen.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};

use crate::train::{EpochRecord, History};
use crate::{Error, Result};

const KEY: &str = "lgn_checkpoint";

/// The state of a training run after `epoch` epochs.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// Epochs completed.
    pub epoch: usize,
    /// Configuration and data fingerprint; a resume must match it.
    pub fingerprint: String,
    /// Per layer, the burn parameter id of its logits (the optimizer state is keyed by them).
    pub param_ids: Vec<u64>,
    /// Per layer, the logits `[width, 16]`.
    pub logits: Vec<Vec<f32>>,
    /// burn's serialized optimizer record.
    pub optimizer: Vec<u8>,
    /// The epochs so far.
    pub history: History,
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Io(format!("{}: {msg}", path.display()))
}

/// Writes `c` to `path` atomically.
pub fn save(c: &Checkpoint, path: &Path) -> Result<()> {
    let history: Vec<_> = c
        .history
        .iter()
        .map(|r| {
            serde_json::json!([
                r.epoch,
                r.loss,
                r.train_acc,
                r.test_acc_relaxed,
                r.test_acc_discrete,
                r.seconds,
                r.step_ms
            ])
        })
        .collect();
    let meta = serde_json::json!({"epoch": c.epoch, "fingerprint": c.fingerprint, "param_ids": c.param_ids,
        "history": history})
    .to_string();
    let bytes: Vec<Vec<u8>> = c.logits.iter().map(|l| l.iter().flat_map(|v| v.to_le_bytes()).collect()).collect();
    let mut views = Vec::new();
    for (i, (b, l)) in bytes.iter().zip(&c.logits).enumerate() {
        let v = TensorView::new(Dtype::F32, vec![l.len() / 16, 16], b).map_err(|e| err(path, e))?;
        views.push((format!("logits.{i}"), v));
    }
    views.push((
        "optimizer".to_string(),
        TensorView::new(Dtype::U8, vec![c.optimizer.len()], &c.optimizer).map_err(|e| err(path, e))?,
    ));
    let meta = HashMap::from([(KEY.to_string(), meta)]);
    let out = safetensors::serialize(views, Some(meta)).map_err(|e| err(path, e))?;
    lgn_compiler::io::write_atomic(path, &out).map_err(|e| err(path, e))
}

/// Reads a checkpoint written by [`save`].
pub fn load(path: &Path) -> Result<Checkpoint> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| err(path, format!("not a checkpoint: {e}")))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| err(path, e))?;
    let meta = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(KEY))
        .ok_or_else(|| err(path, "not an lgn checkpoint (no metadata)"))?;
    let v: serde_json::Value = serde_json::from_str(meta).map_err(|e| err(path, e))?;
    let bad = |what: &str| err(path, format!("malformed checkpoint: {what}"));
    let epoch = v["epoch"].as_u64().ok_or_else(|| bad("epoch"))? as usize;
    let fingerprint = v["fingerprint"].as_str().ok_or_else(|| bad("fingerprint"))?.to_string();
    let param_ids: Vec<u64> = v["param_ids"]
        .as_array()
        .ok_or_else(|| bad("param_ids"))?
        .iter()
        .map(|x| x.as_u64().ok_or_else(|| bad("param_ids")))
        .collect::<Result<_>>()?;
    let mut history = History::new();
    for r in v["history"].as_array().ok_or_else(|| bad("history"))? {
        let f = |i: usize| r[i].as_f64().ok_or_else(|| bad("history"));
        history.push(EpochRecord {
            epoch: f(0)? as usize,
            loss: f(1)?,
            train_acc: f(2)?,
            test_acc_relaxed: f(3)?,
            test_acc_discrete: f(4)?,
            seconds: f(5)?,
            step_ms: f(6)?,
        });
    }
    let mut logits = Vec::new();
    for i in 0..param_ids.len() {
        let t = st.tensor(&format!("logits.{i}")).map_err(|_| bad(&format!("missing logits.{i}")))?;
        if t.dtype() != Dtype::F32 || t.shape().len() != 2 || t.shape()[1] != 16 {
            return Err(bad(&format!("logits.{i} is not f32 [width, 16]")));
        }
        logits.push(t.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect());
    }
    let optimizer = st.tensor("optimizer").map_err(|_| bad("missing optimizer state"))?.data().to_vec();
    Ok(Checkpoint { epoch, fingerprint, param_ids, logits, optimizer, history })
}
