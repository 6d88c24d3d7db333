//! Data augmentation: random translations of image samples.
//!
//! Small training sets (mnist10k has 8,000 images) are fitted perfectly by wide logic networks long before
//! the test accuracy stops rising; shifting every training image by a few pixels, anew each epoch, is the
//! classic remedy. Pixels shifted in are 0 (the background of MNIST-like data).

use lgn_runtime::data::{Dataset, Features};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Height and width of image samples (`[h, w]` or `[c, h, w]`), or `None` for other shapes.
pub fn image_dims(shape: &[usize]) -> Option<(usize, usize, usize)> {
    match *shape {
        [h, w] => Some((1, h, w)),
        [c, h, w] => Some((c, h, w)),
        _ => None,
    }
}

fn shifted<T: Copy + Default>(x: &[T], (c, h, w): (usize, usize, usize), dy: isize, dx: isize, out: &mut [T]) {
    for ch in 0..c {
        for y in 0..h {
            for xx in 0..w {
                let (sy, sx) = (y as isize - dy, xx as isize - dx);
                let inside = (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx);
                out[(ch * h + y) * w + xx] =
                    if inside { x[(ch * h + sy as usize) * w + sx as usize] } else { T::default() };
            }
        }
    }
}

/// A copy of `d` with every sample translated by independent random offsets in `-max..=max` (both axes).
/// `d` must hold images (see [`image_dims`]).
pub fn shift_images(d: &Dataset, max: usize, rng: &mut ChaCha8Rng) -> Dataset {
    let dims = image_dims(&d.shape).expect("shift_images needs image samples");
    let f = d.features();
    let m = max as i64;
    let mut offset = || rng.random_range(-m..=m) as isize;
    let offsets: Vec<(isize, isize)> = (0..d.len()).map(|_| (offset(), offset())).collect();
    let x = match &d.x {
        Features::U8(v) => {
            let mut out = vec![0u8; v.len()];
            for (s, &(dy, dx)) in offsets.iter().enumerate() {
                shifted(&v[s * f..(s + 1) * f], dims, dy, dx, &mut out[s * f..(s + 1) * f]);
            }
            Features::U8(out)
        }
        Features::F32(v) => {
            let mut out = vec![0f32; v.len()];
            for (s, &(dy, dx)) in offsets.iter().enumerate() {
                shifted(&v[s * f..(s + 1) * f], dims, dy, dx, &mut out[s * f..(s + 1) * f]);
            }
            Features::F32(out)
        }
    };
    Dataset { source: d.source.clone(), shape: d.shape.clone(), x, y: d.y.clone(), classes: d.classes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shifts_move_pixels_and_fill_with_zero() {
        let img: Vec<u8> = (1..=12).collect(); // 3 × 4
        let mut out = vec![9u8; 12];
        shifted(&img, (1, 3, 4), 1, -1, &mut out);
        // Row y comes from row y-1, column x from column x+1.
        assert_eq!(out, [0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0]);
        let d = Dataset { source: "t".into(), shape: vec![3, 4], x: Features::U8(img.clone()), y: vec![0], classes: 1 };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let zero = shift_images(&d, 0, &mut rng);
        let Features::U8(z) = zero.x else { unreachable!() };
        assert_eq!(z, img);
    }
}
