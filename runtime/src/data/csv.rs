//! Numeric CSV tables: one sample per line, features then an integer class in the last column.
//!
//! An optional first line in scikit-learn's style (`n_samples,n_features,class names…`) is recognised by its
//! non-numeric fields, and its counts are checked against the data. Gzipped files (`.gz`) are read too.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// A parsed table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Features per sample.
    pub features: usize,
    /// Row-major features.
    pub x: Vec<f32>,
    /// Class of each sample.
    pub y: Vec<u32>,
    /// Class names from the header, if any.
    pub class_names: Vec<String>,
}

/// Largest file accepted (1 GiB of text).
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// Reads a CSV table (gzip detected by magic bytes).
pub fn read(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(MAX_CSV_BYTES)
            .read_to_string(&mut s)
            .map_err(|e| Error::Data { path: path.to_path_buf(), msg: format!("gzip/UTF-8: {e}") })?;
        s
    } else {
        String::from_utf8(bytes).map_err(|_| Error::Data { path: path.to_path_buf(), msg: "not UTF-8 text".into() })?
    };
    parse(&text, path)
}

/// Parses CSV text. `path` is used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Table> {
    let bad = |line: usize, msg: String| Error::Data { path: path.to_path_buf(), msg: format!("line {line}: {msg}") };
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let mut declared: Option<(usize, usize)> = None;
    let mut class_names = Vec::new();
    if let Some(&(_, first)) = lines.peek() {
        let fields: Vec<&str> = first.split(',').map(str::trim).collect();
        if fields.iter().any(|f| f.parse::<f64>().is_err()) {
            let n = fields.first().and_then(|f| f.parse().ok());
            let k = fields.get(1).and_then(|f| f.parse().ok());
            match (n, k) {
                (Some(n), Some(k)) => declared = Some((n, k)),
                _ => return Err(bad(1, "header is not `n_samples,n_features,class names…`".into())),
            }
            class_names = fields[2..].iter().map(|s| s.to_string()).collect();
            lines.next();
        }
    }
    let mut features = None;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let k = fields.len() - 1;
        if k == 0 {
            return Err(bad(i + 1, "needs at least one feature and a class".into()));
        }
        match features {
            None => features = Some(k),
            Some(f) if f != k => return Err(bad(i + 1, format!("{k} features, earlier lines have {f}"))),
            _ => {}
        }
        for f in &fields[..k] {
            let v: f32 = f.parse().map_err(|_| bad(i + 1, format!("{f:?} is not a number")))?;
            if !v.is_finite() {
                return Err(bad(i + 1, format!("{f:?} is not a finite number")));
            }
            x.push(v);
        }
        let c = fields[k];
        y.push(c.parse::<u32>().map_err(|_| bad(i + 1, format!("class {c:?} is not a non-negative integer")))?);
    }
    let features = features.ok_or_else(|| bad(1, "no data rows".into()))?;
    if let Some((n, k)) = declared
        && (n != y.len() || k != features)
    {
        return Err(bad(1, format!("header says {n} samples of {k} features, the file has {} of {features}", y.len())));
    }
    Ok(Table { features, x, y, class_names })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_plain() {
        let p = Path::new("t.csv");
        let t = parse("2,2,a,b\n1,2,0\n3.5,4,1\n", p).unwrap();
        assert_eq!((t.features, t.x.clone(), t.y.clone()), (2, vec![1.0, 2.0, 3.5, 4.0], vec![0, 1]));
        assert_eq!(t.class_names, vec!["a", "b"]);
        let t = parse("1,2,0\n3,4,1\n", p).unwrap();
        assert_eq!(t.y, vec![0, 1]);
        assert!(parse("3,2,a,b\n1,2,0\n", p).unwrap_err().to_string().contains("header says"));
        assert!(parse("1,2,0\n1,0\n", p).unwrap_err().to_string().contains("line 2"));
        assert!(parse("1,nan,0\n", p).is_err());
    }
}
