//! Times bit packing alone: `cargo run --release -p lgn-runtime --example pack_speed`.
use lgn_compiler::model::Threshold;
use lgn_runtime::encode::{Encoder, Inputs, PackBuffer};
use std::time::Instant;

fn main() {
    let test = lgn_runtime::data::load("mnist10k", lgn_runtime::data::Split::Test).unwrap();
    let lgn_runtime::data::Features::U8(px) = test.x else { unreachable!() };
    let n = 102_400;
    let x: Vec<u8> = px.iter().copied().cycle().take(n * 784).collect();
    for k in [1, 3] {
        let enc = Encoder::new(&Threshold::uniform(784, k, 0.0, 255.0));
        let words = 8;
        let mut planes = vec![0u64; enc.bits() * words];
        let mut buf = PackBuffer::default();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            for block in x.chunks(64 * words * 784) {
                enc.pack(Inputs::U8(block), words, &mut planes, &mut buf);
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        let mut sum = 0u64;
        for _ in 0..5 {
            sum = x.iter().fold(sum, |a, &b| a.wrapping_add(b as u64));
        }
        let read = t.elapsed().as_secs_f64() / 5.0;
        println!(
            "k={k}: pack {:.1} ns/image ({:.2} M images/s); reading the bytes: {:.1} ns/image [{sum}]",
            best / n as f64 * 1e9,
            n as f64 / best / 1e6,
            read / n as f64 * 1e9
        );
    }
}
