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

    /// The lowest and highest (x, y, z) of the voxels `indices`; None when there are none.
    pub fn bounds(
        &self,
        indices: impl IntoIterator<Item = usize>,
    ) -> Option<([usize; 3], [usize; 3])> {
        let mut low = [usize::MAX; 3];
        let mut high = [0usize; 3];
        let mut any = false;
        for k in indices {
            any = true;
            let at = self.position(k);
            for a in 0..3 {
                low[a] = low[a].min(at[a]);
                high[a] = high[a].max(at[a]);
            }
        }
        any.then_some((low, high))
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
