//! Loss and accuracy curves as an SVG file (hand-written: no font or image libraries needed).

use std::fmt::Write;
use std::path::Path;

use crate::train::History;
use crate::{Error, Result};

/// Writes a two-panel SVG (loss; train/relaxed-test/discretized-test accuracy per epoch) to `path`.
pub fn write_svg(history: &History, path: &Path) -> Result<()> {
    let (w, h, pad) = (720.0, 300.0, 50.0);
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">"#,
        w,
        2.0 * h
    )
    .unwrap();
    writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#).unwrap();
    let epochs = history.len().max(1) as f64;
    let x = |e: f64| pad + (w - 2.0 * pad) * if epochs > 1.0 { (e - 1.0) / (epochs - 1.0) } else { 0.5 };
    let panel = |s: &mut String, top: f64, title: &str, series: &[(&str, &str, Vec<f64>)], lo: f64, hi: f64| {
        let y = |v: f64| top + pad / 2.0 + (h - pad) * (1.0 - (v - lo) / (hi - lo).max(1e-12));
        writeln!(s, r#"<text x="{}" y="{}" font-size="14">{title}</text>"#, pad, top + 16.0).unwrap();
        writeln!(s, r#"<line x1="{pad}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#, y(lo), w - pad, y(lo)).unwrap();
        writeln!(s, r#"<line x1="{pad}" y1="{}" x2="{pad}" y2="{}" stroke="black"/>"#, y(lo), y(hi)).unwrap();
        for (v, label) in [(lo, format!("{lo:.3}")), (hi, format!("{hi:.3}"))] {
            writeln!(s, r#"<text x="4" y="{}">{label}</text>"#, y(v) + 4.0).unwrap();
        }
        writeln!(s, r#"<text x="{}" y="{}">epoch {}</text>"#, w - pad - 40.0, y(lo) + 16.0, history.len()).unwrap();
        for (i, (name, color, values)) in series.iter().enumerate() {
            let pts: Vec<String> =
                values.iter().enumerate().map(|(e, &v)| format!("{:.1},{:.1}", x(e as f64 + 1.0), y(v))).collect();
            writeln!(s, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#, pts.join(" "))
                .unwrap();
            writeln!(s, r#"<text x="{}" y="{}" fill="{color}">{name}</text>"#, w - 230.0, top + 16.0 + 14.0 * i as f64)
                .unwrap();
        }
    };
    let loss: Vec<f64> = history.iter().map(|r| r.loss).collect();
    let (lmin, lmax) = loss.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    panel(&mut s, 0.0, "training loss", &[("loss", "#d62728", loss)], lmin.min(lmax), lmax.max(lmin + 1e-6));
    let series = [
        ("train (relaxed)", "#1f77b4", history.iter().map(|r| r.train_acc).collect()),
        ("test (relaxed)", "#ff7f0e", history.iter().map(|r| r.test_acc_relaxed).collect()),
        ("test (discretized)", "#2ca02c", history.iter().map(|r| r.test_acc_discrete).collect::<Vec<f64>>()),
    ];
    let amin = series.iter().flat_map(|(_, _, v)| v.iter().copied()).fold(1.0f64, f64::min);
    panel(&mut s, h, "accuracy", &series, (amin - 0.02).max(0.0), 1.0);
    writeln!(s, "</svg>").unwrap();
    lgn_compiler::io::write_atomic(path, s.as_bytes()).map_err(|e| Error::Io(e.to_string()))
}
