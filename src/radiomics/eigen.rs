//! Eigenvalues of a small symmetric matrix, by the cyclic Jacobi method (GLCM's MCC needs the
//! second largest eigenvalue of a matrix of grey levels, tens to a few hundred wide).
//!
//! Written here: the linear-algebra crates (nalgebra, ndarray-linalg) are large for one
//! routine, and Jacobi's rotations are exact enough (they converge to full double precision
//! for a symmetric matrix) and simple to check.

/// The eigenvalues of the symmetric `n × n` matrix `a` (row-major), in no particular order.
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    let mut a = a.to_vec();
    let off = |a: &[f64]| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                s += a[i * n + j] * a[i * n + j];
            }
        }
        s
    };
    let scale: f64 = a.iter().map(|v| v * v).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        if off(&a) <= scale * 1e-32 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    (0..n).map(|i| a[i * n + i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_known_matrices() {
        let mut e = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        e.sort_by(f64::total_cmp);
        assert!(
            (e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14,
            "{e:?}"
        );
        // A 3 × 3 whose characteristic polynomial is λ³ − 7λ² + 15λ − 10 = (λ − 2)(λ² − 5λ + 5).
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let a = [2.5, -0.5, h, -0.5, 2.5, -h, h, -h, 2.0];
        let mut e = symmetric_eigenvalues(&a, 3);
        e.sort_by(f64::total_cmp);
        let root5 = 5f64.sqrt();
        for (got, want) in e
            .iter()
            .zip([(5.0 - root5) / 2.0, 2.0, (5.0 + root5) / 2.0])
        {
            assert!((got - want).abs() < 1e-12, "{e:?}");
        }
    }
}
