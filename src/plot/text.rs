//! Survival curves as text, for the REPL: a grid of characters, one mark per group, survival
//! from 1 down to 0 against time from 0 to the last time.

use super::km::ticks;
use crate::stats::KaplanMeier;

const WIDTH: usize = 60;
const HEIGHT: usize = 12;
const MARKS: [char; 6] = ['*', 'o', '+', 'x', '#', '@'];

/// The curves of `groups` drawn in a `WIDTH` × `HEIGHT` grid, with axes and a legend.
pub fn survival(groups: &[(&str, &KaplanMeier)], time_label: &str) -> String {
    let end = groups
        .iter()
        .filter_map(|(_, f)| f.curve.last().map(|r| r.time))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    for (k, (_, fit)) in groups.iter().enumerate() {
        let mark = MARKS[k % MARKS.len()];
        let last = fit.curve.last().map_or(0.0, |r| r.time);
        let last_col = (last / end * (WIDTH - 1) as f64).round() as usize;
        #[allow(clippy::needless_range_loop)] // col is a position on the time axis too
        for col in 0..=last_col.min(WIDTH - 1) {
            // The last column shows the curve at its last time, drop included.
            let cell_time = if col == last_col {
                last
            } else {
                end * col as f64 / (WIDTH - 1) as f64
            };
            let s = fit
                .curve
                .iter()
                .take_while(|r| r.time <= cell_time)
                .last()
                .map_or(1.0, |r| r.survival);
            let row = ((1.0 - s) * (HEIGHT - 1) as f64).round() as usize;
            let cell = &mut grid[row.min(HEIGHT - 1)][col];
            *cell = if *cell == ' ' || *cell == mark {
                mark
            } else {
                '='
            };
        }
    }
    let mut out = String::new();
    for (r, line) in grid.iter().enumerate() {
        let label = match r {
            0 => "1.0",
            _ if r == HEIGHT / 2 => "0.5",
            _ if r == HEIGHT - 1 => "0.0",
            _ => "",
        };
        out += &format!(
            "{label:>4} |{}\n",
            line.iter().collect::<String>().trim_end()
        );
    }
    out += &format!("     +{}\n", "-".repeat(WIDTH));
    // Tick labels under the axis.
    let mut axis = vec![' '; WIDTH + 12];
    for t in ticks(end) {
        let text = format!("{t}");
        let at = 6 + (t / end * (WIDTH - 1) as f64).round() as usize;
        if at + text.len() <= axis.len()
            && axis[at.saturating_sub(1)..at + text.len()]
                .iter()
                .all(|c| *c == ' ')
        {
            for (k, ch) in text.chars().enumerate() {
                axis[at + k] = ch;
            }
        }
    }
    out += axis.iter().collect::<String>().trim_end();
    out += &format!("  ({time_label})\n");
    let legend: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(k, (name, _))| format!("{} {name}", MARKS[k % MARKS.len()]))
        .collect();
    out += &format!(
        "     {}{}\n",
        legend.join("   "),
        if groups.len() > 1 { "   = overlap" } else { "" }
    );
    out
}
