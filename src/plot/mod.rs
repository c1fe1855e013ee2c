//! plot: pictures of statistics results. Kaplan–Meier curves (`km.rs`) and correlation
//! heatmaps (`heatmap.rs`) as SVG or PNG files with `plotters`, and the small text plot of
//! survival curves the REPL prints (`text.rs`).
//!
//! The same drawing code serves both file formats: it is generic over plotters'
//! `DrawingBackend`, and [`render`] picks the SVG backend or a bitmap buffer (written by
//! `png.rs`) from the file's extension. Text is laid out with an embedded subset of DejaVu
//! Sans (`assets/fonts/`), so output does not depend on the fonts of the machine.

mod heatmap;
mod km;
mod png;
pub mod text;

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use heatmap::{Heatmap, heatmap_plot};
pub use km::{KmGroup, km_plot};

/// DejaVu Sans, Latin-1 and Greek subset (Bitstream Vera licence, `assets/fonts/LICENSE`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// Registers the embedded font for the families plotters asks for; once per process. Call it
/// before drawing with plotters directly (the benches do).
pub fn ensure_fonts() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            plotters::style::register_font(family, FontStyle::Normal, FONT)
                .map_err(|_| "the embedded font cannot be read".to_string())?;
        }
        Ok(())
    })
    .clone()
}

/// The file formats a plot is written in, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// `.svg` or `.png` (any case), or `None`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

/// Drawing code that works on any backend (closures cannot be generic).
pub(crate) trait DrawOn {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws on a backend for `path`'s format and writes the file: to a temporary file beside it,
/// then renamed, so that a failed plot leaves nothing behind.
pub(crate) fn render(path: &Path, size: (u32, u32), draw: &impl DrawOn) -> Result<(), String> {
    ensure_fonts()?;
    let format = Format::from_path(path)
        .ok_or_else(|| "a plot is written as .svg or .png; name the file so".to_string())?;
    let bytes = match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
                draw.draw_on(&root)?;
                root.present().map_err(|e| e.to_string())?;
            }
            text.into_bytes()
        }
        Format::Png => {
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw.draw_on(&root)?;
                root.present().map_err(|e| e.to_string())?;
            }
            png::encode_rgb8(w, h, &rgb)
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, &bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            e.to_string()
        })
}

/// Any plotters drawing error as text.
fn de<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}
