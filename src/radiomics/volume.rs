//! A 3-D image on a grid in patient space: its voxels and the geometry PyRadiomics gets from
//! SimpleITK (size, origin, spacing, direction).
//!
//! Voxels are stored x fastest, then y, then z (the order of NRRD, NIfTI and a DICOM series'
//! slices), in the number type they were read in ([`Voxels`]); each reads as `f64`, which
//! every pixel type of CT images and label maps converts to exactly.

pub use super::voxels::Voxels;

/// A 3-D image: `size[0] × size[1] × size[2]` voxels, x fastest.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub size: [usize; 3],
    /// The physical position (mm) of the first voxel's centre.
    pub origin: [f64; 3],
    /// The distance (mm) between voxel centres along each axis.
    pub spacing: [f64; 3],
    /// The direction cosines of the axes: `direction[axis]` is the unit vector of that axis.
    pub direction: [[f64; 3]; 3],
    pub voxels: Voxels,
}

impl Volume {
    /// The voxel count.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// Whether the volume has no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index into `voxels` of voxel `(x, y, z)`.
    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.size[0] * (y + self.size[1] * z)
    }

    /// The voxel at `(x, y, z)`.
    pub fn at(&self, x: usize, y: usize, z: usize) -> f64 {
        self.voxels.get(self.index(x, y, z))
    }

    /// (x, y, z) of voxel index `k`.
    pub fn position(&self, k: usize) -> [usize; 3] {
        let [nx, ny, _] = self.size;
        [k % nx, (k / nx) % ny, k / (nx * ny)]
    }

    /// (x, y, z) of each of `indices`. Any order is right; ascending indices (a region's) are
    /// fast: a voxel in the same row as the one before is found by adding along x, and only a
    /// new row takes the divisions.
    pub fn positions<'a>(&self, indices: &'a [usize]) -> impl Iterator<Item = [usize; 3]> + 'a {
        let [nx, ny, _] = self.size;
        let mut last: Option<(usize, [usize; 3])> = None;
        indices.iter().map(move |&k| {
            let at = match last {
                Some((before, [x, y, z])) if k >= before && k - before < nx - x => {
                    [x + (k - before), y, z]
                }
                _ => [k % nx, (k / nx) % ny, k / (nx * ny)],
            };
            last = Some((k, at));
            at
        })
    }

    /// The lowest and highest (x, y, z) of the voxels `indices`; None when there are none.
    pub fn bounds(&self, indices: &[usize]) -> Option<([usize; 3], [usize; 3])> {
        let mut low = [usize::MAX; 3];
        let mut high = [0usize; 3];
        for at in self.positions(indices) {
            for a in 0..3 {
                low[a] = low[a].min(at[a]);
                high[a] = high[a].max(at[a]);
            }
        }
        (!indices.is_empty()).then_some((low, high))
    }

    /// The physical point (mm, LPS) of a continuous index (x, y, z), as SimpleITK's
    /// `TransformContinuousIndexToPhysicalPoint`.
    pub fn to_point(&self, c: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|r| {
            self.origin[r]
                + (0..3)
                    .map(|a| self.direction[a][r] * self.spacing[a] * c[a])
                    .sum::<f64>()
        })
    }

    /// The volume of one voxel (mm³).
    pub fn voxel_volume(&self) -> f64 {
        self.spacing.iter().product()
    }

    /// Whether `other` lies on the same grid, within `tolerance` (PyRadiomics'
    /// `geometryTolerance`, compared as SimpleITK compares images: sizes equal, and origin,
    /// spacing and direction each within the tolerance).
    pub fn same_grid(&self, other: &Volume, tolerance: f64) -> bool {
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| (a - b).abs() <= tolerance);
        self.size == other.size
            && close(&self.origin, &other.origin)
            && close(&self.spacing, &other.spacing)
            && (0..3).all(|k| close(&self.direction[k], &other.direction[k]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions found by adding along x are those of the divisions, in any order of indices.
    #[test]
    fn positions_equal_the_divisions_in_any_order() {
        let v = Volume {
            size: [5, 4, 3],
            origin: [0.0; 3],
            spacing: [1.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            voxels: Voxels::U8(vec![0; 60]),
        };
        let orders: [Vec<usize>; 3] = [
            (0..60).collect(),
            vec![3, 4, 5, 9, 10, 24, 23, 59, 0, 1, 1, 2, 19, 20],
            (0..60).rev().step_by(7).collect(),
        ];
        for indices in orders {
            let got: Vec<[usize; 3]> = v.positions(&indices).collect();
            let expected: Vec<[usize; 3]> = indices.iter().map(|k| v.position(*k)).collect();
            assert_eq!(got, expected, "{indices:?}");
        }
        assert_eq!(v.bounds(&[7, 33]), Some(([2, 1, 0], [3, 2, 1])));
        assert_eq!(v.bounds(&[]), None);
    }
}
