//! Correlation heatmaps: a grid of r from blue (−1) through white to red (+1), labels on both
//! axes, a colour bar, and a dot on the cells whose q is below 0.05.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawOn, de, render};

/// One cell: r, and q when the pair has one; `None` when the pair has no r.
pub type Cell = Option<(f64, Option<f64>)>;

/// What a heatmap shows: `cells[i][j]` is the cell of `rows[i]` × `columns[j]`.
pub struct Heatmap {
    pub title: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub cells: Vec<Vec<Cell>>,
}

/// Blue (−1), white (0), red (+1): ColorBrewer RdBu's ends.
fn diverging(r: f64) -> RGBColor {
    let r = r.clamp(-1.0, 1.0);
    let (end, t) = if r < 0.0 {
        ((33.0, 102.0, 172.0), -r)
    } else {
        ((178.0, 24.0, 43.0), r)
    };
    let mid = (247.0, 247.0, 247.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(mid.0, end.0), lerp(mid.1, end.1), lerp(mid.2, end.2))
}

const LABEL: u32 = 13;

/// A label's width in pixels, roughly (0.6 em per character).
fn width(text: &str) -> u32 {
    (text.chars().count() as u32 * LABEL * 6).div_ceil(10)
}

fn cell_size(map: &Heatmap) -> u32 {
    (760 / map.rows.len().max(map.columns.len()).max(1) as u32).clamp(16, 44)
}

/// Writes the heatmap to `path` (`.svg` or `.png`).
pub fn heatmap_plot(path: &Path, map: &Heatmap) -> Result<(), String> {
    let cell = cell_size(map);
    let row_labels = map.rows.iter().map(|r| width(r)).max().unwrap_or(0) + 20;
    let column_labels = map.columns.iter().map(|c| width(c)).max().unwrap_or(0) + 20;
    let w = row_labels + cell * map.columns.len() as u32 + 120;
    let h = 50 + cell * map.rows.len() as u32 + column_labels;
    render(path, (w.max(360), h.max(240)), map)
}

/// Where the grid sits: its top-left corner, the side of a cell, and its rows and columns.
struct Grid {
    x0: i32,
    y0: i32,
    cell: i32,
    nr: i32,
    nc: i32,
}

impl DrawOn for Heatmap {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let area = root.titled(&self.title, ("sans-serif", 18)).map_err(de)?;
        let (nr, nc) = (self.rows.len() as i32, self.columns.len() as i32);
        if nr == 0 || nc == 0 {
            return Ok(());
        }
        let cell = cell_size(self) as i32;
        let x0 = self.rows.iter().map(|r| width(r)).max().unwrap_or(0) as i32 + 14;
        let y0 = 6;
        let grid = Grid {
            x0,
            y0,
            cell,
            nr,
            nc,
        };
        self.draw_cells(&area, &grid)?;
        self.draw_labels(&area, &grid)?;
        colour_bar(&area, &grid)
    }
}

impl Heatmap {
    /// The cells, a dot on those whose q is below 0.05, and the grid's frame.
    fn draw_cells<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        grid: &Grid,
    ) -> Result<(), String> {
        let Grid {
            x0,
            y0,
            cell,
            nr,
            nc,
        } = *grid;
        for (i, row) in self.cells.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                let (cx, cy) = (x0 + j as i32 * cell, y0 + i as i32 * cell);
                let fill = match value {
                    Some((r, _)) if r.is_finite() => diverging(*r),
                    _ => RGBColor(200, 200, 200),
                };
                area.draw(&Rectangle::new(
                    [(cx, cy), (cx + cell, cy + cell)],
                    fill.filled(),
                ))
                .map_err(de)?;
                if let Some((r, Some(q))) = value
                    && *q < 0.05
                {
                    let ink = if r.abs() > 0.6 { WHITE } else { BLACK };
                    area.draw(&Circle::new(
                        (cx + cell / 2, cy + cell / 2),
                        (cell / 8).max(2),
                        ink.filled(),
                    ))
                    .map_err(de)?;
                }
            }
        }
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + nc * cell, y0 + nr * cell)],
            BLACK.stroke_width(1),
        ))
        .map_err(de)?;
        Ok(())
    }

    /// The row labels left of the grid, and the column labels below it, rotated.
    fn draw_labels<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        grid: &Grid,
    ) -> Result<(), String> {
        let Grid {
            x0, y0, cell, nr, ..
        } = *grid;
        let font = ("sans-serif", LABEL).into_font();
        let row_style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, r) in self.rows.iter().enumerate() {
            area.draw_text(r, &row_style, (x0 - 6, y0 + i as i32 * cell + cell / 2))
                .map_err(de)?;
        }
        let column_style = TextStyle::from(font)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (j, c) in self.columns.iter().enumerate() {
            area.draw_text(
                c,
                &column_style,
                (x0 + j as i32 * cell + cell / 2, y0 + nr * cell + 6),
            )
            .map_err(de)?;
        }
        Ok(())
    }
}

/// The colour bar right of the grid: +1 at the top, −1 at the bottom, with ticks.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
) -> Result<(), String> {
    let Grid {
        x0,
        y0,
        cell,
        nr,
        nc,
    } = *grid;
    let (bx0, by0) = (x0 + nc * cell + 24, y0);
    let (bx1, by1) = (bx0 + 16, y0 + (nr * cell).max(120));
    let steps = (by1 - by0).max(1);
    for k in 0..steps {
        let r = 1.0 - 2.0 * (k as f64 + 0.5) / steps as f64;
        area.draw(&Rectangle::new(
            [(bx0, by0 + k), (bx1, by0 + k + 1)],
            diverging(r).filled(),
        ))
        .map_err(de)?;
    }
    area.draw(&Rectangle::new(
        [(bx0, by0), (bx1, by1)],
        BLACK.stroke_width(1),
    ))
    .map_err(de)?;
    let tick =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for v in [1.0, 0.5, 0.0, -0.5, -1.0] {
        let y = by0 + ((1.0 - v) / 2.0 * (by1 - by0) as f64).round() as i32;
        area.draw(&PathElement::new(
            vec![(bx1, y), (bx1 + 4, y)],
            BLACK.stroke_width(1),
        ))
        .map_err(de)?;
        area.draw_text(&format!("{v:+.1}"), &tick, (bx1 + 7, y))
            .map_err(de)?;
    }
    Ok(())
}
