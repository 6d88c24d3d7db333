//! IDX files (the MNIST format), gzipped or not.
//!
//! Header: two zero bytes, a type byte (0x08 = unsigned byte, the only type accepted), the number of
//! dimensions, then each dimension as a big-endian u32. The payload size is computed from the header with
//! overflow checks and capped at [`MAX_IDX_BYTES`]; the reader never allocates more than the bytes it has read.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Largest payload accepted (4 GiB).
pub const MAX_IDX_BYTES: u64 = 1 << 32;

/// A parsed IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// Row-major payload.
    pub data: Vec<u8>,
}

/// Reads an IDX file; gzip is detected by its magic bytes.
pub fn read(path: &Path) -> Result<Idx> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut reader = std::io::BufReader::new(file);
    let mut magic = [0u8; 2];
    let peek =
        std::io::BufRead::fill_buf(&mut reader).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    if peek.len() >= 2 {
        magic.copy_from_slice(&peek[..2]);
    }
    if magic == [0x1f, 0x8b] { parse(flate2::read::GzDecoder::new(reader), path) } else { parse(reader, path) }
}

/// Parses IDX bytes from any reader. `path` is used in error messages.
pub fn parse(mut r: impl Read, path: &Path) -> Result<Idx> {
    let bad = |msg: String| Error::Data { path: path.to_path_buf(), msg };
    let io = |e: std::io::Error| bad(format!("read error: {e}"));
    let mut head = [0u8; 4];
    r.read_exact(&mut head).map_err(|_| bad("too short for an IDX header".into()))?;
    if head[0] != 0 || head[1] != 0 {
        return Err(bad(format!("not an IDX file (magic bytes {:02x} {:02x}, expected 00 00)", head[0], head[1])));
    }
    if head[2] != 0x08 {
        return Err(bad(format!("IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)", head[2])));
    }
    let nd = head[3] as usize;
    if nd == 0 || nd > 4 {
        return Err(bad(format!("IDX file has {nd} dimensions (1 to 4 supported)")));
    }
    let mut dims = Vec::with_capacity(nd);
    let mut total: u64 = 1;
    for _ in 0..nd {
        let mut d = [0u8; 4];
        r.read_exact(&mut d).map_err(|_| bad("truncated IDX header".into()))?;
        let d = u32::from_be_bytes(d) as u64;
        total = total
            .checked_mul(d)
            .filter(|&t| t <= MAX_IDX_BYTES)
            .ok_or_else(|| bad(format!("IDX header claims more than {MAX_IDX_BYTES} bytes of data")))?;
        dims.push(d as usize);
    }
    let mut data = Vec::new();
    // Read at most one byte more than announced, so a longer file is detected without unbounded reading.
    r.take(total + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 != total {
        let what = if (data.len() as u64) < total { "truncated" } else { "longer than its header says" };
        return Err(bad(format!("IDX payload {what}: header {dims:?} needs {total} bytes")));
    }
    Ok(Idx { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx_bytes(dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend(payload);
        v
    }

    #[test]
    fn parses_and_rejects() {
        let p = Path::new("x.idx");
        let ok = parse(&idx_bytes(&[2, 3], &[1, 2, 3, 4, 5, 6])[..], p).unwrap();
        assert_eq!(ok.dims, vec![2, 3]);
        assert_eq!(ok.data, vec![1, 2, 3, 4, 5, 6]);
        let short = parse(&idx_bytes(&[2, 3], &[1, 2, 3])[..], p).unwrap_err().to_string();
        assert!(short.contains("truncated") && short.contains("x.idx"), "{short}");
        let long = parse(&idx_bytes(&[1], &[1, 2])[..], p).unwrap_err().to_string();
        assert!(long.contains("longer"), "{long}");
        let huge = parse(&idx_bytes(&[u32::MAX, u32::MAX, 2], &[])[..], p).unwrap_err().to_string();
        assert!(huge.contains("claims more"), "{huge}");
        let magic = parse(&b"\x1f\x8bxxxx"[..], p).unwrap_err().to_string();
        assert!(magic.contains("not an IDX"), "{magic}");
    }
}
