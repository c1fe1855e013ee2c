//! 3-D shape features as PyRadiomics v3.0.1 computes them (`radiomics/shape.py`,
//! `src/cshape.c`), a port of its marching cubes:
//!
//! - the mask (the region's bounding box, padded by one voxel) is walked cube by cube; each
//!   cube's corners in the region pick its triangles (`mesh_tables.rs`), whose vertices lie
//!   at the midpoints of the cube's edges;
//! - MeshVolume is the signed volume of the triangles (divergence theorem), SurfaceArea their
//!   area;
//! - the diameters are the largest distances between mesh vertices (in one slice, column or
//!   row for the 2-D ones), over the vertices PyRadiomics keeps (on edges 6, 7 and 11 of each
//!   cube);
//! - the axis lengths are 4·√λ of the eigenvalues λ of the covariance of the region's voxel
//!   centres (mm).
//!
//! Arithmetic follows the C code operation by operation, in (z, y, x) order.

use super::eigen::symmetric_eigenvalues;
use super::mesh_tables::{CORNERS, EDGES, TRIANGLES};

/// The shape features PyRadiomics enables by default, in its order (alphabetical; the
/// deprecated ones are in [`DEPRECATED`]).
pub const FEATURES: [&str; 14] = [
    "Elongation",
    "Flatness",
    "LeastAxisLength",
    "MajorAxisLength",
    "Maximum2DDiameterColumn",
    "Maximum2DDiameterRow",
    "Maximum2DDiameterSlice",
    "Maximum3DDiameter",
    "MeshVolume",
    "MinorAxisLength",
    "Sphericity",
    "SurfaceArea",
    "SurfaceVolumeRatio",
    "VoxelVolume",
];

/// A binary mask in numpy's (z, y, x) order: `inside[(z·ny + y)·nx + x]`.
pub struct Mask {
    /// (nz, ny, nx).
    pub size: [usize; 3],
    pub inside: Vec<bool>,
    /// (z, y, x) spacing, mm.
    pub spacing: [f64; 3],
}

impl Mask {
    fn at(&self, z: usize, y: usize, x: usize) -> bool {
        self.inside[(z * self.size[1] + y) * self.size[2] + x]
    }
}

/// The deprecated shape features, computed only when a parameter file names them (as
/// PyRadiomics does).
pub const DEPRECATED: [&str; 3] = ["Compactness1", "Compactness2", "SphericalDisproportion"];

/// The features of [`FEATURES`] (and, with `deprecated`, of [`DEPRECATED`]), in PyRadiomics'
/// order (alphabetical). `mask` must be padded by (at least) one voxel outside the region on
/// every side.
pub fn shape(mask: &Mask, deprecated: bool) -> Vec<(&'static str, f64)> {
    let (area, volume, diameters) = mesh(mask);
    let eigen = axes(mask);
    let voxels = mask.inside.iter().filter(|v| **v).count() as f64;
    let [sz, sy, sx] = mask.spacing;
    let axis = |k: usize| {
        if eigen[k] < 0.0 {
            f64::NAN
        } else {
            eigen[k].sqrt() * 4.0
        }
    };
    let ratio = |a: usize| {
        if eigen[a] < 0.0 || eigen[2] < 0.0 {
            f64::NAN
        } else {
            (eigen[a] / eigen[2]).sqrt()
        }
    };
    let value = |name: &str| -> f64 {
        match name {
            "Elongation" => ratio(1),
            "Flatness" => ratio(0),
            "LeastAxisLength" => axis(0),
            "MajorAxisLength" => axis(2),
            "Maximum2DDiameterColumn" => diameters[1],
            "Maximum2DDiameterRow" => diameters[2],
            "Maximum2DDiameterSlice" => diameters[0],
            "Maximum3DDiameter" => diameters[3],
            "MeshVolume" => volume,
            "MinorAxisLength" => axis(1),
            "Sphericity" => (36.0 * std::f64::consts::PI * volume.powi(2)).powf(1.0 / 3.0) / area,
            "SurfaceArea" => area,
            "SurfaceVolumeRatio" => area / volume,
            "Compactness1" => volume / (area.powf(3.0 / 2.0) * std::f64::consts::PI.sqrt()),
            "Compactness2" => (36.0 * std::f64::consts::PI) * volume.powf(2.0) / area.powf(3.0),
            "SphericalDisproportion" => {
                area / (36.0 * std::f64::consts::PI * volume.powi(2)).powf(1.0 / 3.0)
            }
            _ => voxels * (sz * sx * sy),
        }
    };
    let mut names: Vec<&'static str> = FEATURES.to_vec();
    if deprecated {
        names.extend(DEPRECATED);
        names.sort_unstable();
    }
    names.into_iter().map(|f| (f, value(f))).collect()
}

/// Surface area, volume, and the four diameters (slice, column, row, 3-D) of the mesh.
fn mesh(mask: &Mask) -> (f64, f64, [f64; 4]) {
    let [nz, ny, nx] = mask.size;
    let sp = mask.spacing;
    let (mut area, mut volume) = (0.0, 0.0);
    let mut vertices: Vec<[f64; 3]> = Vec::new();
    for iz in 0..nz.saturating_sub(1) {
        for iy in 0..ny.saturating_sub(1) {
            for ix in 0..nx.saturating_sub(1) {
                let mut cube = 0u8;
                for (k, [dz, dy, dx]) in CORNERS.iter().enumerate() {
                    if mask.at(iz + dz, iy + dy, ix + dx) {
                        cube |= 1 << k;
                    }
                }
                // Cubes with the eighth corner inside are their complements, volume negated.
                let sign = if cube & 0x80 != 0 {
                    cube ^= 0xff;
                    -1.0
                } else {
                    1.0
                };
                let origin = [iz as f64, iy as f64, ix as f64];
                // The vertices on edges 6, 7 and 11 (corners 7, 5 and 4 inside).
                for (corner, edge) in [(6, 6), (4, 7), (3, 11)] {
                    if cube & (1 << corner) != 0 {
                        vertices.push(std::array::from_fn(|d| {
                            (origin[d] + EDGES[edge][d]) * sp[d]
                        }));
                    }
                }
                let triangles = &TRIANGLES[cube as usize];
                for t in triangles.chunks(3).take_while(|t| t[0] >= 0) {
                    let point = |e: i8| -> [f64; 3] {
                        std::array::from_fn(|d| (origin[d] + EDGES[e as usize][d]) * sp[d])
                    };
                    let (a, b, c) = (point(t[0]), point(t[1]), point(t[2]));
                    let ab = cross(a, b);
                    volume += sign * (ab[0] * c[0] + ab[1] * c[1] + ab[2] * c[2]);
                    let (a, b) = (sub(a, c), sub(b, c));
                    let ab = cross(a, b);
                    area += 0.5 * (ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2]).sqrt();
                }
            }
        }
    }
    (area, volume / 6.0, diameters(&vertices))
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        (a[1] * b[2]) - (b[1] * a[2]),
        (a[2] * b[0]) - (b[2] * a[0]),
        (a[0] * b[1]) - (b[0] * a[1]),
    ]
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// The largest distance between two vertices in one slice (same z), column (same y), row (same
/// x) and overall (`calculate_meshDiameter`).
fn diameters(vertices: &[[f64; 3]]) -> [f64; 4] {
    // The same squared distances as `cshape.c`'s loop over every pair, but only over the pairs
    // that can matter (PyRadiomics' O(V²) loop was most of the time of a 20,000-vertex mesh):
    // the 2-D diameters over pairs in one plane (grouped by the coordinate they share), the
    // 3-D one skipping each vertex whose farthest possible partner (a corner of all vertices'
    // box) is no farther than the best so far. The maxima are the same numbers.
    let mut best = [0.0f64; 4];
    for (axis, slot) in best.iter_mut().enumerate().take(3) {
        let mut planes: std::collections::HashMap<u64, Vec<[f64; 3]>> =
            std::collections::HashMap::new();
        for v in vertices {
            // + 0.0 makes −0.0 the same plane as 0.0, as `==` takes them.
            planes
                .entry((v[axis] + 0.0).to_bits())
                .or_default()
                .push(*v);
        }
        for plane in planes.values() {
            *slot = slot.max(farthest(plane, 0.0));
        }
    }
    best[3] = farthest(vertices, best[0].max(best[1]).max(best[2]));
    best.map(f64::sqrt)
}

/// The largest squared distance between two of `vertices` (or `floor`, if none is larger).
/// The vertices are put in the cells of an 8 × 8 × 8 grid over their box; pairs of cells are
/// taken farthest bound first, and only those whose bound beats the best distance so far are
/// compared point by point. The bound (from each cell's own box) is never below a distance
/// between their points, so the maximum is exact.
pub(super) fn farthest(vertices: &[[f64; 3]], floor: f64) -> f64 {
    const SIDE: usize = 8;
    let mut low = [f64::INFINITY; 3];
    let mut high = [f64::NEG_INFINITY; 3];
    for v in vertices {
        for d in 0..3 {
            low[d] = low[d].min(v[d]);
            high[d] = high[d].max(v[d]);
        }
    }
    let cell_of = |v: &[f64; 3]| -> usize {
        let c: [usize; 3] = std::array::from_fn(|d| {
            let span = high[d] - low[d];
            if span > 0.0 {
                (((v[d] - low[d]) / span * SIDE as f64) as usize).min(SIDE - 1)
            } else {
                0
            }
        });
        (c[0] * SIDE + c[1]) * SIDE + c[2]
    };
    let mut cells: Vec<Vec<[f64; 3]>> = vec![Vec::new(); SIDE * SIDE * SIDE];
    for v in vertices {
        cells[cell_of(v)].push(*v);
    }
    cells.retain(|c| !c.is_empty());
    let boxes: Vec<([f64; 3], [f64; 3])> = cells
        .iter()
        .map(|c| {
            let mut lo = [f64::INFINITY; 3];
            let mut hi = [f64::NEG_INFINITY; 3];
            for v in c {
                for d in 0..3 {
                    lo[d] = lo[d].min(v[d]);
                    hi[d] = hi[d].max(v[d]);
                }
            }
            (lo, hi)
        })
        .collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for i in 0..cells.len() {
        for j in i..cells.len() {
            let (a, b) = (boxes[i], boxes[j]);
            let bound: f64 = (0..3)
                .map(|d| (a.1[d] - b.0[d]).abs().max((b.1[d] - a.0[d]).abs()).powi(2))
                .sum();
            // A bound a little above the true one, so that rounding never skips the best pair.
            pairs.push((bound * (1.0 + 1e-12), i, j));
        }
    }
    pairs.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
    let mut best = floor;
    for (bound, i, j) in pairs {
        if bound < best {
            break;
        }
        for (k, a) in cells[i].iter().enumerate() {
            let others = if i == j {
                &cells[j][k + 1..]
            } else {
                &cells[j][..]
            };
            for b in others {
                let d = sub(*a, *b);
                let distance = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                if distance > best {
                    best = distance;
                }
            }
        }
    }
    best
}

/// The eigenvalues (ascending) of the covariance of the region's voxel centres, mm; those a
/// hair below 0 (> −1e-10) are 0.
fn axes(mask: &Mask) -> [f64; 3] {
    // The region's voxel centres, walked twice rather than stored (a region of 125,000 voxels
    // took 6 MB of points and centred copies). Every sum runs over the same points in the
    // same order from −0.0, as `Iterator::sum` does, so it has the same bits.
    let [nz, ny, nx] = mask.size;
    let points = || {
        (0..nz)
            .flat_map(move |z| (0..ny).flat_map(move |y| (0..nx).map(move |x| (z, y, x))))
            .filter(|(z, y, x)| mask.at(*z, *y, *x))
            .map(|(z, y, x)| {
                [
                    z as f64 * mask.spacing[0],
                    y as f64 * mask.spacing[1],
                    x as f64 * mask.spacing[2],
                ]
            })
    };
    let (mut count, mut total) = (0usize, [-0.0f64; 3]);
    for p in points() {
        count += 1;
        for d in 0..3 {
            total[d] += p[d];
        }
    }
    let n = count as f64;
    let mean = total.map(|t| t / n);
    let root = n.sqrt();
    let mut covariance = [-0.0f64; 9];
    for p in points() {
        let c: [f64; 3] = std::array::from_fn(|d| (p[d] - mean[d]) / root);
        for r in 0..3 {
            for k in 0..3 {
                covariance[r * 3 + k] += c[r] * c[k];
            }
        }
    }
    let mut eigen = symmetric_eigenvalues(&covariance, 3);
    for v in &mut eigen {
        if *v < 0.0 && *v > -1e-10 {
            *v = 0.0;
        }
    }
    eigen.sort_by(f64::total_cmp);
    [eigen[0], eigen[1], eigen[2]]
}
