//! Kaplan–Meier curves: a step curve per group with `+` at censored times, a legend, the
//! log-rank p in the title, and the number at risk under the time axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawOn, de, render};
use crate::stats::KaplanMeier;

/// Okabe–Ito colours (told apart by colour-blind readers too).
pub(crate) const COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

/// One group's curve.
pub struct KmGroup<'a> {
    pub name: &'a str,
    pub fit: &'a KaplanMeier,
}

/// The step path of a fitted curve, from (0, 1) to its last time.
pub(crate) fn steps(fit: &KaplanMeier) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 1.0)];
    let mut last = 1.0;
    for row in &fit.curve {
        points.push((row.time, last));
        points.push((row.time, row.survival));
        last = row.survival;
    }
    points
}

/// The number at risk at time `t`: those whose time is `t` or later.
pub(crate) fn at_risk(fit: &KaplanMeier, t: f64) -> usize {
    fit.curve
        .iter()
        .find(|row| row.time >= t)
        .map_or(0, |row| row.at_risk)
}

/// Round tick times from 0 to `end`: steps of 1, 2 or 5 × 10^k, five or so of them.
pub(crate) fn ticks(end: f64) -> Vec<f64> {
    if end <= 0.0 || !end.is_finite() {
        return vec![0.0];
    }
    let rough = end / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(rough);
    (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= end)
        .collect()
}

struct Km<'a> {
    groups: &'a [KmGroup<'a>],
    p: Option<f64>,
    time_label: &'a str,
}

/// Writes the plot to `path` (`.svg` or `.png`).
pub fn km_plot(
    path: &Path,
    groups: &[KmGroup<'_>],
    p: Option<f64>,
    time_label: &str,
) -> Result<(), String> {
    let table = 40 + 20 * groups.len() as u32;
    render(
        path,
        (900, 560 + table),
        &Km {
            groups,
            p,
            time_label,
        },
    )
}

/// The chart of the curves: time across, survival up.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl DrawOn for Km<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let (_, height) = root.dim_in_pixel();
        let table = 40 + 20 * self.groups.len() as i32;
        let (upper, lower) = root.split_vertically(height as i32 - table);
        let end = self
            .groups
            .iter()
            .filter_map(|g| g.fit.curve.last().map(|r| r.time))
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let label_area = 150;
        let mut chart = ChartBuilder::on(&upper)
            .caption(self.title(), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0.0..end * 1.02, 0.0..1.02)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc(self.time_label)
            .y_desc("Survival probability")
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_label_formatter(&|v| format!("{v}"))
            .x_labels(8)
            .y_labels(6)
            .light_line_style(WHITE)
            .draw()
            .map_err(de)?;
        self.draw_curves(&mut chart)?;
        self.draw_at_risk(&lower, &chart, end)
    }
}

impl Km<'_> {
    /// The title, with the log-rank p when there is one.
    fn title(&self) -> String {
        match self.p {
            Some(p) if p < 1e-4 => "Kaplan–Meier (log-rank p < 0.0001)".to_string(),
            Some(p) => format!("Kaplan–Meier (log-rank p = {p:.4})"),
            None => "Kaplan–Meier".to_string(),
        }
    }

    /// Each group's step curve with `+` at its censored times, and the legend.
    fn draw_curves<'a, DB: DrawingBackend + 'a>(
        &self,
        chart: &mut Chart<'a, DB>,
    ) -> Result<(), String> {
        for (k, g) in self.groups.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(steps(g.fit), colour.stroke_width(2)))
                .map_err(de)?
                .label(format!("{} (n = {})", g.name, g.fit.n))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            let marks = g.fit.curve.iter().filter(|r| r.censored > 0).map(|r| {
                EmptyElement::at((r.time, r.survival))
                    + PathElement::new(vec![(-4, 0), (4, 0)], colour.stroke_width(1))
                    + PathElement::new(vec![(0, -4), (0, 4)], colour.stroke_width(1))
            });
            chart.draw_series(marks).map_err(de)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(de)?;
        Ok(())
    }

    /// The number at risk in `lower`, a row per group, in columns under the axis ticks of a
    /// time axis that ends at `end`.
    fn draw_at_risk<DB: DrawingBackend>(
        &self,
        lower: &DrawingArea<DB, Shift>,
        chart: &Chart<'_, DB>,
        end: f64,
    ) -> Result<(), String> {
        let left = chart.plotting_area().get_pixel_range().0.start;
        let header =
            TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Left, VPos::Top));
        lower
            .draw_text("Number at risk", &header, (12, 4))
            .map_err(de)?;
        let times = ticks(end);
        for (k, g) in self.groups.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let y = 24 + 20 * k as i32;
            let name = TextStyle::from(("sans-serif", 13).into_font())
                .color(&colour)
                .pos(Pos::new(HPos::Right, VPos::Top));
            lower.draw_text(g.name, &name, (left - 30, y)).map_err(de)?;
            let number = TextStyle::from(("sans-serif", 13).into_font())
                .color(&colour)
                .pos(Pos::new(HPos::Center, VPos::Top));
            for t in &times {
                let (x, _) = chart.backend_coord(&(*t, 0.0));
                lower
                    .draw_text(&at_risk(g.fit, *t).to_string(), &number, (x, y))
                    .map_err(de)?;
            }
        }
        Ok(())
    }
}
