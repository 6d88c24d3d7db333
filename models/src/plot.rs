//! Loss and accuracy curves per epoch, drawn with plotters into an SVG file next to the model.

use std::path::Path;

use plotters::prelude::*;

use crate::train::History;
use crate::{Error, Result};

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("drawing the plot: {e}"))
}

/// Draws one panel: `series` (name, colour, values per epoch) over epochs `1..=n`, y in `lo..hi`.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    series: &[(&str, RGBColor, Vec<f64>)],
    (lo, hi): (f64, f64),
    legend: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let n = series.iter().map(|s| s.2.len()).max().unwrap_or(1).max(2);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(1f64..n as f64, lo..hi)
        .map_err(draw_err)?;
    chart.configure_mesh().x_desc("epoch").y_desc(y_label).draw().map_err(draw_err)?;
    for (name, color, values) in series {
        let color = *color;
        chart
            .draw_series(LineSeries::new(
                values.iter().enumerate().map(|(e, &v)| (e as f64 + 1.0, v)),
                color.stroke_width(2),
            ))
            .map_err(draw_err)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(legend)
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

/// Renders the two-panel plot (training loss; train, relaxed-test and discretized-test accuracy) as SVG text.
pub fn render_svg(history: &History) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, bottom) = root.split_vertically(320);
        let loss: Vec<f64> = history.iter().map(|r| r.loss).collect();
        let (lmin, lmax) = loss.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let (lmin, lmax) =
            if lmin.is_finite() && lmax.is_finite() { (lmin, lmax.max(lmin + 1e-6)) } else { (0.0, 1.0) };
        panel(
            &top,
            "training loss",
            "cross-entropy",
            &[("loss", RGBColor(214, 39, 40), loss)],
            (lmin, lmax),
            SeriesLabelPosition::UpperRight,
        )?;
        let acc = |f: fn(&crate::train::EpochRecord) -> f64| history.iter().map(|r| 100.0 * f(r)).collect::<Vec<_>>();
        let series = [
            ("train (relaxed)", RGBColor(31, 119, 180), acc(|r| r.train_acc)),
            ("test (relaxed)", RGBColor(255, 127, 14), acc(|r| r.test_acc_relaxed)),
            ("test (discretized)", RGBColor(44, 160, 44), acc(|r| r.test_acc_discrete)),
        ];
        let amin = series.iter().flat_map(|s| s.2.iter().copied()).fold(100.0f64, f64::min);
        panel(&bottom, "accuracy", "%", &series, ((amin - 2.0).max(0.0), 100.0), SeriesLabelPosition::LowerRight)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Writes the plot of [`render_svg`] to `path` atomically.
pub fn write_svg(history: &History, path: &Path) -> Result<()> {
    let svg = render_svg(history)?;
    lgn_compiler::io::write_atomic(path, svg.as_bytes()).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::EpochRecord;

    #[test]
    fn plot_has_both_panels_and_every_series() {
        let history: History = (1..=5)
            .map(|e| EpochRecord {
                epoch: e,
                loss: 2.0 / e as f64,
                train_acc: 0.5 + 0.08 * e as f64,
                test_acc_relaxed: 0.5 + 0.07 * e as f64,
                test_acc_discrete: 0.5 + 0.06 * e as f64,
                seconds: 1.0,
                step_ms: 10.0,
            })
            .collect();
        let svg = render_svg(&history).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        for text in ["training loss", "accuracy", "train (relaxed)", "test (relaxed)", "test (discretized)", "epoch"] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        // One polyline per series (1 loss + 3 accuracy) plus the legend swatches.
        assert!(svg.matches("<polyline").count() >= 4);
        // An empty history still renders (a run interrupted before its first epoch).
        assert!(render_svg(&History::new()).unwrap().contains("<svg"));
    }
}
