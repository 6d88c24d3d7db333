//! Data sets: IDX image folders (MNIST layout), numeric CSV tables, and named sets.
//!
//! [`load`] accepts a name (`mnist10k`, `fashion-mnist`, `iris`, `wine`, `breast-cancer`, `digits`, `monk1`..`monk3`) or a
//! path: a folder holding `train-images-idx3-ubyte[.gz]` etc., or a `.csv[.gz]` file. Named sets are looked up
//! in `$LGN_DATA`, `./data`, the repository's `data/`, and `../shared/data` (the shared data folder), in that
//! order. CSV tables have no official split: a fixed shuffle puts 80% in `train` and 20% in `test`.

pub mod csv;
pub mod idx;
pub mod monk;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::encode::Inputs;
use crate::error::{Error, Result};

/// Which part of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The training samples.
    Train,
    /// The held-out test samples.
    Test,
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "train" => Ok(Split::Train),
            "test" => Ok(Split::Test),
            _ => Err(format!("unknown split {s:?} (train or test)")),
        }
    }
}

/// Sample features: bytes (images) or floats (tables).
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
    /// One byte per feature.
    U8(Vec<u8>),
    /// One float per feature.
    F32(Vec<f32>),
}

/// A labelled set of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Where it came from.
    pub source: PathBuf,
    /// Shape of one sample, e.g. `[1, 28, 28]` or `[30]`.
    pub shape: Vec<usize>,
    /// Row-major features.
    pub x: Features,
    /// Class of each sample.
    pub y: Vec<u32>,
    /// Number of classes (largest label + 1).
    pub classes: usize,
}

impl Dataset {
    /// Features per sample.
    pub fn features(&self) -> usize {
        self.shape.iter().product()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The features as engine inputs.
    pub fn inputs(&self) -> Inputs<'_> {
        match &self.x {
            Features::U8(v) => Inputs::U8(v),
            Features::F32(v) => Inputs::F32(v),
        }
    }

    /// Features of sample `i` as floats.
    pub fn sample_f32(&self, i: usize) -> Vec<f32> {
        let f = self.features();
        match &self.x {
            Features::U8(v) => v[i * f..(i + 1) * f].iter().map(|&b| b as f32).collect(),
            Features::F32(v) => v[i * f..(i + 1) * f].to_vec(),
        }
    }

    /// The first `n` samples (all if fewer).
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        let f = self.features();
        self.y.truncate(n);
        match &mut self.x {
            Features::U8(v) => v.truncate(n * f),
            Features::F32(v) => v.truncate(n * f),
        }
    }
}

/// Named data sets: name → path below a data folder.
const NAMED: &[(&str, &str)] = &[
    ("mnist10k", "mnist10k"),
    ("fashion-mnist", "fashion-mnist"),
    ("iris", "uci/iris.csv"),
    ("wine", "uci/wine_data.csv"),
    ("breast-cancer", "uci/breast_cancer.csv"),
    ("digits", "uci/digits.csv.gz"),
];

/// The names accepted by [`load`].
pub fn names() -> impl Iterator<Item = &'static str> {
    NAMED.iter().map(|(n, _)| *n).chain(["monk1", "monk2", "monk3"])
}

fn data_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("LGN_DATA") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("data"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    dirs.push(repo.join("data"));
    dirs.push(PathBuf::from("../shared/data"));
    dirs.push(repo.join("../shared/data"));
    dirs
}

/// Resolves a name or path to an existing path.
pub fn resolve(spec: &str) -> Result<PathBuf> {
    if let Some((_, rel)) = NAMED.iter().find(|(n, _)| *n == spec) {
        let dirs = data_dirs();
        return dirs.iter().map(|d| d.join(rel)).find(|p| p.exists()).ok_or_else(|| Error::NotFound {
            name: spec.into(),
            looked: dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
        });
    }
    let p = PathBuf::from(spec);
    if p.exists() {
        Ok(p)
    } else {
        Err(Error::NotFound {
            name: spec.into(),
            looked: format!("no such file or folder; known names: {}", names().collect::<Vec<_>>().join(", ")),
        })
    }
}

/// Loads one split of a named data set or path (see the module doc).
pub fn load(spec: &str, split: Split) -> Result<Dataset> {
    if let Some(p) = spec.strip_prefix("monk").and_then(|d| d.parse::<u8>().ok()).filter(|p| (1..=3).contains(p)) {
        return Ok(monk::load(p, split));
    }
    let path = resolve(spec)?;
    if path.is_dir() { load_idx_dir(&path, split) } else { load_csv(&path, split) }
}

fn find_idx(dir: &Path, stem: &str) -> Result<PathBuf> {
    [stem.to_string(), format!("{stem}.gz")]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.exists())
        .ok_or_else(|| Error::Data { path: dir.to_path_buf(), msg: format!("no {stem}[.gz] in this folder") })
}

fn load_idx_dir(dir: &Path, split: Split) -> Result<Dataset> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let ipath = find_idx(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let lpath = find_idx(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = idx::read(&ipath)?;
    let labels = idx::read(&lpath)?;
    if images.dims.len() < 2 {
        return Err(Error::Data {
            path: ipath,
            msg: format!("images need at least 2 dimensions, got {:?}", images.dims),
        });
    }
    if labels.dims.len() != 1 || labels.dims[0] != images.dims[0] {
        return Err(Error::Data {
            path: lpath,
            msg: format!("labels {:?} do not match {} images", labels.dims, images.dims[0]),
        });
    }
    let mut shape = images.dims[1..].to_vec();
    if shape.len() == 2 {
        shape.insert(0, 1); // one channel
    }
    let y: Vec<u32> = labels.data.iter().map(|&l| l as u32).collect();
    let classes = y.iter().max().map_or(0, |&m| m as usize + 1);
    Ok(Dataset { source: dir.to_path_buf(), shape, x: Features::U8(images.data), y, classes })
}

fn load_csv(path: &Path, split: Split) -> Result<Dataset> {
    let t = csv::read(path)?;
    let n = t.y.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for i in (1..n).rev() {
        order.swap(i, rand::RngExt::random_range(&mut rng, 0..=i));
    }
    let cut = n - n / 5;
    let idx = match split {
        Split::Train => &order[..cut],
        Split::Test => &order[cut..],
    };
    let f = t.features;
    let x = idx.iter().flat_map(|&i| t.x[i * f..(i + 1) * f].iter().copied()).collect();
    let y: Vec<u32> = idx.iter().map(|&i| t.y[i]).collect();
    let classes = t.y.iter().max().map_or(0, |&m| m as usize + 1).max(t.class_names.len());
    Ok(Dataset { source: path.to_path_buf(), shape: vec![f], x: Features::F32(x), y, classes })
}
