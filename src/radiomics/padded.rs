//! What the texture classes that look at neighbours share: the region's grid padded on every
//! side, so that a voxel's neighbour at any offset is one fixed step away in memory (no bounds
//! check per neighbour), and each grey level's row in a matrix found by a table.

use super::Grid;

/// A region's grey levels with `pad` voxels of `fill` around the grid on every side, x
/// fastest. Region voxels keep their order, so sums taken in voxel order are unchanged.
pub struct Padded {
    pub levels: Vec<u32>,
    pub size: [usize; 3],
    pub pad: usize,
}

impl Padded {
    /// `grid` padded by `pad` voxels of `fill` (0: outside the region; a value no grey level
    /// takes: outside the grid).
    pub fn new(grid: &Grid, pad: usize, fill: u32) -> Padded {
        let [nx, ny, nz] = grid.size;
        let size = grid.size.map(|s| s + 2 * pad);
        let mut levels = vec![fill; size.iter().product()];
        for z in 0..nz {
            for y in 0..ny {
                let from = nx * (y + ny * z);
                let to = pad + size[0] * ((y + pad) + size[1] * (z + pad));
                levels[to..to + nx].copy_from_slice(&grid.levels[from..from + nx]);
            }
        }
        Padded { levels, size, pad }
    }

    /// The padding offsets up to distance `pad` need.
    pub fn reach(offsets: &[[i64; 3]]) -> usize {
        offsets
            .iter()
            .flat_map(|o| o.iter().map(|v| v.unsigned_abs() as usize))
            .max()
            .unwrap_or(0)
    }

    /// The step in `levels` of each offset (x, y, z).
    pub fn steps(&self, offsets: &[[i64; 3]]) -> Vec<isize> {
        offsets.iter().map(|o| self.step(*o)).collect()
    }

    /// The step in `levels` of one offset (x, y, z).
    pub fn step(&self, o: [i64; 3]) -> isize {
        let [nx, ny, _] = self.size.map(|s| s as i64);
        (o[0] + nx * (o[1] + ny * o[2])) as isize
    }

    /// The index in `levels` of grid voxel (x, y, z).
    pub fn index(&self, [x, y, z]: [usize; 3]) -> usize {
        let p = self.pad;
        (x + p) + self.size[0] * ((y + p) + self.size[1] * (z + p))
    }
}

/// Each grey level's row among the levels present (ascending): a table when the levels are
/// small numbers (bin numbers: tens to thousands), else a binary search.
pub struct Rows<'a> {
    levels: &'a [u32],
    table: Option<Vec<u32>>,
}

impl<'a> Rows<'a> {
    pub fn new(levels: &'a [u32]) -> Rows<'a> {
        let highest = levels.last().copied().unwrap_or(0) as usize;
        let table = (highest <= 1 << 20).then(|| {
            let mut table = vec![u32::MAX; highest + 1];
            for (g, level) in levels.iter().enumerate() {
                table[*level as usize] = g as u32;
            }
            table
        });
        Rows { levels, table }
    }

    /// How many levels there are (rows).
    pub fn count(&self) -> usize {
        self.levels.len()
    }

    /// The row of `level`, a level of the region.
    #[inline]
    pub fn of(&self, level: u32) -> usize {
        match &self.table {
            Some(t) => t[level as usize] as usize,
            None => self
                .levels
                .binary_search(&level)
                .expect("a level of the region"),
        }
    }
}
