//! 2-D shape features as PyRadiomics v3.0.1 computes them (`radiomics/shape2D.py`, the 2-D
//! part of `src/cshape.c`), a port of its marching squares:
//!
//! - the mask (the region's bounding box, padded here by one pixel) is walked square by square;
//!   each square's corners in the region pick its lines (`LINES`), whose vertices lie at the
//!   midpoints of the square's edges;
//! - MeshSurface is the signed area of the triangles that the lines make with the origin,
//!   Perimeter the lines' length;
//! - MaximumDiameter is the largest distance between mesh vertices, over the vertices
//!   PyRadiomics keeps (on edges 3 and 2 of each square);
//! - the axis lengths are 4·√λ of the eigenvalues λ of the covariance of the region's pixel
//!   centres (mm).
//!
//! Arithmetic follows the C and numpy code operation by operation, in (row, column) order.
//! The tables and `mesh`, `diameter` are ported from PyRadiomics' `cshape.c` (BSD 3-clause,
//! Copyright (c) 2016-2017 Harvard Medical School and the PyRadiomics contributors);
//! `pairwise_sum` follows numpy's `pairwise_sum_DOUBLE` (BSD 3-clause, Copyright (c) 2005-2023
//! NumPy Developers), and `eigenvalues`, `lapy2` LAPACK's `dlahqr`, `dlanv2` and `dlapy2`
//! (modified BSD, Copyright (c) 1992-2013 The University of Tennessee and The University of
//! Tennessee Research Foundation, and others).

/// shape2D's features PyRadiomics enables by default, in its order (alphabetical).
pub const FEATURES: [&str; 9] = [
    "Elongation",
    "MajorAxisLength",
    "MaximumDiameter",
    "MeshSurface",
    "MinorAxisLength",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "PixelSurface",
    "Sphericity",
];

/// A binary 2-D mask in numpy's (row, column) order: `inside[row * ncols + col]`, cropped to
/// the region's bounding box (not padded: shape2d pads by one pixel itself, as shape2D.py does).
pub struct Mask2D {
    /// (rows, columns).
    pub size: [usize; 2],
    pub inside: Vec<bool>,
    /// (row, column) spacing, mm — PyRadiomics' `pixelSpacing` (the image spacing reversed, with
    /// the force2Ddimension axis removed).
    pub spacing: [f64; 2],
}

impl Mask2D {
    fn at(&self, row: usize, col: usize) -> bool {
        self.inside[row * self.size[1] + col]
    }
}

/// The corners of a square, (row, column) from its origin (`gridAngles2D`).
const CORNERS: [[usize; 2]; 4] = [[0, 0], [0, 1], [1, 1], [1, 0]];

/// The midpoints of the 4 edges of a square, (row, column) from its origin (`vertList2D`).
const EDGES: [[f64; 2]; 4] = [[0.0, 0.5], [0.5, 1.0], [1.0, 0.5], [0.5, 0.0]];

/// The lines of each square, as pairs of edges; -1 ends the list (`lineTable2D`, without its
/// fifth column, always -1).
#[rustfmt::skip]
const LINES: [[i8; 4]; 16] = [
    [-1, -1, -1, -1],
    [3, 0, -1, -1],
    [0, 1, -1, -1],
    [3, 1, -1, -1],
    [1, 2, -1, -1],
    [1, 2, 3, 0],
    [0, 2, -1, -1],
    [3, 2, -1, -1],
    [2, 3, -1, -1],
    [2, 0, -1, -1],
    [0, 1, 2, 3],
    [2, 1, -1, -1],
    [1, 3, -1, -1],
    [1, 0, -1, -1],
    [0, 3, -1, -1],
    [-1, -1, -1, -1],
];

/// Every shape2D feature (the 9 of [`FEATURES`], then the deprecated "SphericalDisproportion"),
/// as (name, value). The region must not be empty (PyRadiomics refuses an empty mask before
/// shape2D; here its values would be NaN).
pub fn shape2d(mask: &Mask2D) -> Vec<(&'static str, f64)> {
    let padded = pad(mask);
    let (perimeter, surface, diameter) = mesh(&padded);
    let eigen = axes(&padded);
    let pixels = padded.inside.iter().filter(|v| **v).count() as f64;
    let [y, x] = padded.spacing;
    let axis = |k: usize| {
        if eigen[k] < 0.0 {
            f64::NAN
        } else {
            eigen[k].sqrt() * 4.0
        }
    };
    let sphericity = (2.0 * (std::f64::consts::PI * surface).sqrt()) / perimeter;
    let elongation = if eigen[0] < 0.0 || eigen[1] < 0.0 {
        f64::NAN
    } else {
        (eigen[0] / eigen[1]).sqrt()
    };
    vec![
        ("Elongation", elongation),
        ("MajorAxisLength", axis(1)),
        ("MaximumDiameter", diameter),
        ("MeshSurface", surface),
        ("MinorAxisLength", axis(0)),
        ("Perimeter", perimeter),
        ("PerimeterSurfaceRatio", perimeter / surface),
        ("PixelSurface", pixels * (x * y)),
        ("Sphericity", sphericity),
        ("SphericalDisproportion", 1.0 / sphericity),
    ]
}

/// The mask with one pixel outside the region on every side (`numpy.pad(pad_width=1)`).
fn pad(mask: &Mask2D) -> Mask2D {
    let [rows, cols] = mask.size;
    let size = [rows + 2, cols + 2];
    let mut inside = vec![false; size[0] * size[1]];
    for row in 0..rows {
        for col in 0..cols {
            inside[(row + 1) * size[1] + col + 1] = mask.at(row, col);
        }
    }
    Mask2D {
        size,
        inside,
        spacing: mask.spacing,
    }
}

/// Perimeter, surface and maximum diameter of the mesh (`calculate_coefficients2D`). The C
/// code's check that its vertex stack does not overflow cannot fail on a padded mask (the
/// squares of the first column and the last row keep fewer than two vertices), so there is none.
fn mesh(mask: &Mask2D) -> (f64, f64, f64) {
    let [rows, cols] = mask.size;
    let sp = mask.spacing;
    let (mut perimeter, mut surface) = (0.0, 0.0);
    let mut vertices: Vec<[f64; 2]> = Vec::new();
    for iy in 0..rows.saturating_sub(1) {
        for ix in 0..cols.saturating_sub(1) {
            let mut square = 0u8;
            for (k, [dy, dx]) in CORNERS.iter().enumerate() {
                if mask.at(iy + dy, ix + dx) {
                    square |= 1 << k;
                }
            }
            if square == 0 || square == 0xF {
                continue;
            }
            let origin = [iy as f64, ix as f64];
            let point = |e: usize| -> [f64; 2] {
                std::array::from_fn(|d| (origin[d] + EDGES[e][d]) * sp[d])
            };
            let lines = &LINES[square as usize];
            for line in lines.chunks(2).take_while(|l| l[0] >= 0) {
                let (a, b) = (point(line[0] as usize), point(line[1] as usize));
                // The cross product of a and b; halved at the end.
                surface += (a[0] * b[1]) - (b[0] * a[1]);
                let d = [a[0] - b[0], a[1] - b[1]];
                perimeter += (d[0] * d[0] + d[1] * d[1]).sqrt();
            }
            // The vertices on edges 3 and 2 (left and bottom): those of corners 0 and 2 inside,
            // once squares with corner 3 inside are replaced by their complements.
            if square > 7 {
                square ^= 0xF;
            }
            for (corner, edge) in [(0, 3), (2, 2)] {
                if square & (1 << corner) != 0 {
                    vertices.push(point(edge));
                }
            }
        }
    }
    (perimeter, surface / 2.0, diameter(&vertices))
}

/// The largest distance between two vertices (`calculate_meshDiameter2D`).
fn diameter(vertices: &[[f64; 2]]) -> f64 {
    // The 3-D class's search over pairs of cells (exact, and not quadratic in a mask of
    // millions of vertices); a third coordinate of 0 adds exactly 0 to each squared distance.
    let points: Vec<[f64; 3]> = vertices.iter().map(|v| [v[0], v[1], 0.0]).collect();
    super::shape::farthest(&points, 0.0).sqrt()
}

/// The eigenvalues (ascending) of the covariance of the region's pixel centres, mm; those a
/// hair below 0 (> −1e-10) are 0.
fn axes(mask: &Mask2D) -> [f64; 2] {
    let [rows, cols] = mask.size;
    // The centres' rows and columns (mm), each a column of numpy's Fortran-ordered array.
    let mut centres: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for row in 0..rows {
        for col in 0..cols {
            if mask.at(row, col) {
                centres[0].push(row as f64 * mask.spacing[0]);
                centres[1].push(col as f64 * mask.spacing[1]);
            }
        }
    }
    let n = centres[0].len() as f64;
    let root = n.sqrt();
    for axis in &mut centres {
        let mean = pairwise_sum(axis) / n;
        for p in axis.iter_mut() {
            *p = (*p - mean) / root;
        }
    }
    // numpy.dot hands the sums to BLAS, whose order depends on the CPU's kernel; pairwise
    // summation is as close to it as a portable order gets (a few ulps).
    let dot = |a: &[f64], b: &[f64]| -> f64 {
        let products: Vec<f64> = a.iter().zip(b).map(|(p, q)| p * q).collect();
        pairwise_sum(&products)
    };
    let [y, x] = &centres;
    let mut eigen = eigenvalues(dot(y, y), dot(y, x), dot(x, x));
    for v in &mut eigen {
        if *v < 0.0 && *v > -1e-10 {
            *v = 0.0;
        }
    }
    eigen.sort_by(f64::total_cmp);
    eigen
}

/// numpy's sum of a contiguous run of doubles (`pairwise_sum_DOUBLE`, what `numpy.mean` adds
/// with along the contiguous axis): up to 128 by eight running sums, longer runs split in two
/// at a multiple of 8.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |sum, v| sum + v)
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for block in a[8..whole].chunks_exact(8) {
            for (sum, v) in r.iter_mut().zip(block) {
                *sum += v;
            }
        }
        let sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        a[whole..].iter().fold(sum, |sum, v| sum + v)
    } else {
        let half = n / 2 - (n / 2) % 8;
        pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
    }
}

/// The eigenvalues of the symmetric matrix [[a, b], [b, d]], in closed form. shape2D.py calls
/// `numpy.linalg.eigvals`, which for a 2×2 reaches LAPACK's `dlahqr` (`dgeev` → `dhseqr`): its
/// test for a negligible off-diagonal, then `dlanv2`. This follows their arithmetic for a
/// symmetric matrix, so that even the rounding noise of a singular covariance (a diagonal
/// line of pixels) is numpy's.
fn eigenvalues(a: f64, b: f64, d: f64) -> [f64; 2] {
    let ulp = f64::EPSILON;
    // dlahqr's SMLNUM, for a block of 2 (an off-diagonal of 0 is dgebal's isolated pair).
    let small = f64::MIN_POSITIVE * (2.0 / ulp);
    if b.abs() <= small {
        return [a, d];
    }
    // Ahues and Tisseur's deflation test (dlahqr), for a symmetric matrix.
    if b.abs() <= ulp * (a.abs() + d.abs()) {
        let (big, little) = (d.abs().max((a - d).abs()), d.abs().min((a - d).abs()));
        let s = big + b.abs();
        if b.abs() * (b.abs() / s) <= small.max(ulp * (little * (big / s))) {
            return [a, d];
        }
    }
    let p = 0.5 * (a - d);
    let scale = p.abs().max(b.abs());
    let z = (p / scale) * p + (b.abs() / scale) * b.abs();
    if z >= 4.0 * ulp {
        let z = p + (scale.sqrt() * z.sqrt()).copysign(p);
        return [d + z, d - (b.abs() / z) * b.abs()];
    }
    // |a − d| and |b| both below 1e-15 (z ≥ scale): a rotation makes the diagonal equal.
    let sigma = b + b;
    let tau = lapy2(sigma, a - d);
    let cs = (0.5 * (1.0 + sigma.abs() / tau)).sqrt();
    let sn = -(p / (tau * cs)) * 1f64.copysign(sigma);
    let (aa, bb) = (a * cs + b * sn, -a * sn + b * cs);
    let (cc, dd) = (b * cs + d * sn, -b * sn + d * cs);
    let (upper, lower) = (bb * cs + dd * sn, -aa * sn + cc * cs);
    let mean = 0.5 * ((aa * cs + cc * sn) + (-bb * sn + dd * cs));
    if upper != 0.0 && lower != 0.0 && upper.signum() == lower.signum() {
        let p = (upper.abs().sqrt() * lower.abs().sqrt()).copysign(lower);
        [mean + p, mean - p]
    } else {
        // Opposite signs would make numpy's eigenvalues a complex pair; this keeps their
        // real part.
        [mean, mean]
    }
}

/// √(x² + y²) as LAPACK's `dlapy2` computes it.
fn lapy2(x: f64, y: f64) -> f64 {
    let (w, z) = (x.abs().max(y.abs()), x.abs().min(y.abs()));
    if z == 0.0 || w > f64::MAX {
        w
    } else {
        let r = z / w;
        w * (1.0 + r * r).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mask drawn as rows of '#' (inside) and '.' (outside), with its PyRadiomics values in
    /// the order of [`shape2d`]'s output.
    struct Case {
        name: &'static str,
        rows: &'static [&'static str],
        spacing: [f64; 2],
        values: [f64; 10],
    }

    fn mask(rows: &[&str], spacing: [f64; 2]) -> Mask2D {
        let inside: Vec<bool> = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| c == '#'))
            .collect();
        Mask2D {
            size: [rows.len(), rows[0].len()],
            inside,
            spacing,
        }
    }

    /// Printed by tests/reference/radiomics/tools/shape2d_reference.py --rust (PyRadiomics
    /// v3.0.1, numpy 1.26.4, SimpleITK 2.5.7): RadiomicsShape2D on each mask, as a one-slice
    /// 3-D image with force2D, force2Ddimension 0. The real masks are the slices of
    /// pyradiomics_testcases' label maps with most voxels of label 1, cropped.
    #[rustfmt::skip]
    const CASES: &[Case] = &[
        Case {
            name: "row",
            rows: &[
                "#####",
            ],
            spacing: [1.0, 1.0],
            values: [0.0, 5.656854249492381, 5.0, 4.5, 0.0, 10.828427124746192, 2.406317138832487, 5.0, 0.6944577210763895, 1.439972470102325],
        },
        Case {
            name: "square3",
            rows: &[
                "###",
                "###",
                "###",
            ],
            spacing: [1.0, 1.0],
            values: [1.0, 3.265986323710904, 3.605551275463989, 8.5, 3.265986323710904, 10.82842712474619, 1.2739326029113165, 9.0, 0.9544408455078941, 1.047733869214139],
        },
        Case {
            name: "l_shape",
            rows: &[
                "#..",
                "#..",
                "###",
            ],
            spacing: [1.0, 1.0],
            values: [0.5291502622129182, 3.9999999999999996, 3.605551275463989, 4.5, 2.1166010488516727, 10.242640687119286, 2.2761423749153966, 5.0, 0.7341744237254844, 1.362074144350622],
        },
        Case {
            name: "l_shape_anisotropic",
            rows: &[
                "#..",
                "#..",
                "###",
            ],
            spacing: [1.3, 0.7],
            values: [0.4004862782760931, 4.386078245653448, 4.1436698710201325, 4.094999999999999, 1.756564152829485, 10.429446918070015, 2.546873484266183, 4.55, 0.687813359615753, 1.453882780873361],
        },
        Case {
            name: "single",
            rows: &[
                "#",
            ],
            spacing: [1.0, 1.0],
            values: [f64::NAN, 0.0, 1.0, 0.5, 0.0, 2.8284271247461903, 5.656854249492381, 1.0, 0.8862269254527578, 1.1283791670955128],
        },
        Case {
            name: "diagonal",
            rows: &[
                "#...",
                ".#..",
                "..#.",
                "...#",
            ],
            spacing: [1.0, 1.0],
            values: [9.424321830774484e-09, 6.324555320336759, 5.0, 2.0, 5.960464477539063e-08, 11.313708498984765, 5.656854249492382, 4.0, 0.4431134627263788, 2.256758334191026],
        },
        Case {
            name: "ring",
            rows: &[
                "###",
                "#.#",
                "###",
            ],
            spacing: [1.0, 1.0],
            values: [1.0, 3.464101615137754, 3.605551275463989, 8.0, 3.464101615137754, 13.656854249492381, 1.7071067811865477, 8.0, 0.7341744237254844, 1.362074144350622],
        },
        Case {
            name: "checker",
            rows: &[
                "#.#",
                ".#.",
                "#.#",
            ],
            spacing: [0.5, 2.0],
            values: [0.25, 7.155417527999327, 6.082762530298219, 2.5, 1.7888543819998317, 20.615528128088297, 8.24621125123532, 5.0, 0.27188200959844566, 3.6780660900548123],
        },
        Case {
            name: "brain1_axial_z16",
            rows: &[
                ".................#####.......................",
                "..............##########.....................",
                "..............###########....................",
                "............#############....................",
                "...........################..................",
                "..........##################.................",
                ".........####################................",
                ".........#######################.............",
                "........#########################............",
                "........#########################............",
                ".......##########################............",
                ".....#############################...........",
                "...################################..........",
                "...#################################.........",
                "..###################################........",
                "..######################################.....",
                ".#########################################...",
                ".##########################################..",
                "############################################.",
                "#############################################",
                "#############################################",
                "#############################################",
                "#############################################",
                "#############################################",
                "#############################################",
                ".############################################",
                "..##########################################.",
                "..#######################################....",
                "...###################################.......",
                "......##############################.........",
                "........#########################............",
                "..............#############..................",
            ],
            spacing: [0.7812499999999999, 0.7812499999999999],
            values: [0.7026288930220498, 33.852790868415354, 35.579054802299055, 600.28076171875, 23.785948973581636, 101.0913825153671, 0.16840683387206656, 600.5859374999998, 0.8591480496460207, 1.1639437468455083],
        },
        Case {
            name: "brain1_sagittal_x190",
            rows: &[
                "........................................######################",
                ".......#############.....................#################....",
                "..##################..........................................",
                "......#####.....#####.........................................",
                "...#############.########.....................................",
                "#########################.....................................",
                "##################............................................",
            ],
            spacing: [6.499999999999998, 0.7812499999999999],
            values: [0.417825041512291, 71.85108388455811, 65.88905951721043, 728.7109374999998, 30.021182106768595, 206.57654011401368, 0.283482145640244, 731.2499999999998, 0.46323522550469237, 2.158730478474527],
        },
        Case {
            name: "breast1_axial_z9",
            rows: &[
                "...###...",
                "..#####..",
                ".#######.",
                ".#######.",
                "########.",
                "########.",
                "########.",
                "########.",
                "########.",
                ".########",
                ".########",
                "....####.",
            ],
            spacing: [0.664062, 0.664062],
            values: [0.6937013985757059, 8.259750107622313, 8.399793710266938, 35.939734697286006, 5.729800201543436, 23.61162035322263, 0.6569781483391324, 36.160223867208, 0.9000498705600878, 1.1110495459298435],
        },
    ];

    #[test]
    fn agrees_with_pyradiomics() {
        for case in CASES {
            let got = shape2d(&mask(case.rows, case.spacing));
            assert_eq!(got.len(), case.values.len());
            for ((name, value), expected) in got.iter().zip(case.values) {
                let close = (value - expected).abs() <= 1e-9 * expected.abs().max(1e-300)
                    || (value.is_nan() && expected.is_nan());
                assert!(
                    close,
                    "{} {name}: {value} (PyRadiomics {expected})",
                    case.name
                );
            }
        }
    }

    #[test]
    fn names_are_pyradiomics_order() {
        let got = shape2d(&mask(&["#"], [1.0, 1.0]));
        let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(names[..9], FEATURES);
        assert_eq!(names[9], "SphericalDisproportion");
    }

    /// numpy.linalg.eigvals (numpy 1.26.4, OpenBLAS 0.3.23) of [[a, b], [b, d]], sorted:
    /// deflated, dlanv2's closed form, and its rotation for nearly equal eigenvalues.
    #[test]
    fn eigenvalues_are_numpys() {
        #[rustfmt::skip]
        let cases: [(f64, f64, f64, [f64; 2]); 11] = [
            (1.0, 1e-17, 1.0, [1.0, 1.0]),
            (1.0, 3e-16, 1.0000000000000002, [0.9999999999999997, 1.0000000000000004]),
            (0.75, -2e-16, 0.7499999999999999, [0.7499999999999998, 0.7500000000000002]),
            (1e-15, 5e-16, 3e-16, [3.967221921331488e-17, 1.2603277807866853e-15]),
            (2.0, 1.0, 2.0, [1.0, 3.0]),
            (4.0, 0.0, 1.0, [1.0, 4.0]),
            (1.0, 2.0, 4.0, [0.0, 5.0]),
            (1.25, 1.25, 1.25, [2.220446049250313e-16, 2.5]),
            (8.8725, 1e-300, 1e-40, [1e-40, 8.8725]),
            (3.0, 1e-15, 7.0, [3.0, 7.0]),
            (0.5, 1e-17, 0.5000000000000001, [0.5, 0.5000000000000001]),
        ];
        for (a, b, d, expected) in cases {
            let mut got = eigenvalues(a, b, d);
            got.sort_by(f64::total_cmp);
            assert_eq!(got, expected, "[[{a}, {b}], [{b}, {d}]]");
        }
    }
}
