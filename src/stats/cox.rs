//! The Cox proportional-hazards model: Efron's handling of tied event times, fitted by
//! Newton–Raphson with step halving, as R `survival::coxph` and lifelines `CoxPHFitter`.
//!
//! Standard errors come from the inverse information at the estimate; the likelihood-ratio
//! test compares with β = 0; the concordance is Harrell's C (see [`concordance`]).
//!
//! Under complete or quasi-complete separation the partial likelihood has no maximum: a
//! coefficient grows by about one per step while the log-likelihood converges to its
//! supremum. Such coefficients are flagged in [`CoxFit::diverged`] by R `coxph`'s rule (see
//! [`diverging`]), where lifelines warns `ConvergenceWarning`.

use super::dist::{chi2_sf, erfc, normal_quantile};
use super::survival::solve;

/// A fitted Cox model.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    pub coef: Vec<f64>,
    pub se: Vec<f64>,
    pub z: Vec<f64>,
    pub p: Vec<f64>,
    /// 95 % interval of the hazard ratio `exp(coef)`.
    pub hr_lower: Vec<f64>,
    pub hr_upper: Vec<f64>,
    pub log_likelihood: f64,
    pub null_log_likelihood: f64,
    pub lr_chi2: f64,
    pub lr_p: f64,
    /// The Wald test of β = 0: `β' I(β) β` on p degrees of freedom (R `summary.coxph`'s
    /// "Wald test"). Infinite where the information is singular at the estimate.
    pub wald_chi2: f64,
    pub wald_p: f64,
    /// The score (log-rank) test of β = 0: `U(0)' I(0)⁻¹ U(0)` on p degrees of freedom (R's
    /// "Score (logrank) test").
    pub score_chi2: f64,
    pub score_p: f64,
    pub concordance: f64,
    pub iterations: usize,
    pub n: usize,
    pub events: usize,
    /// Per coefficient: it diverges (its estimate is infinite; its se, interval and p mean
    /// nothing).
    pub diverged: Vec<bool>,
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub enum CoxError {
    NoEvents,
    /// The information matrix is singular: a constant or collinear term.
    Singular,
    NotConverged(usize),
}

impl std::fmt::Display for CoxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoxError::NoEvents => f.write_str("no events: a Cox model needs at least one"),
            CoxError::Singular => f.write_str(
                "the terms are collinear or one is constant: the model cannot separate their effects",
            ),
            CoxError::NotConverged(n) => {
                write!(f, "Newton–Raphson did not converge in {n} iterations")
            }
        }
    }
}

/// Per distinct event time: the rows at risk from it on, and the rows with the event at it.
struct Strata {
    /// Row indices sorted by time, latest first.
    order: Vec<usize>,
}

/// What a fit works on: the rows in time order, the times and events, and the covariates.
struct Model<'a> {
    strata: Strata,
    time: &'a [f64],
    event: &'a [bool],
    /// The covariates, centred.
    x: Vec<Vec<f64>>,
}

/// The coefficients' rows of a fit: estimates, standard errors, Wald tests and intervals.
struct Coefficients {
    coef: Vec<f64>,
    se: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    hr_lower: Vec<f64>,
    hr_upper: Vec<f64>,
}

/// Fits `time, event ~ x` (rows of `x` are observations, each `p` values).
pub fn fit(time: &[f64], event: &[bool], x: &[Vec<f64>]) -> Result<CoxFit, CoxError> {
    let n = time.len();
    let p = x.first().map_or(0, Vec::len);
    let events = event.iter().filter(|e| **e).count();
    if events == 0 {
        return Err(CoxError::NoEvents);
    }
    let model = Model::new(time, event, x, p);
    let beta = vec![0.0; p];
    let (null_ll, start_gradient, start_information) = model.efron(&beta);
    let score_chi2 = solve(start_information.clone(), start_gradient.clone())
        .map_or(f64::NAN, |step| quadratic(&start_gradient, &step));
    let (beta, iterations) = model.newton(beta, null_ll)?;
    let (ll, gradient, information) = model.efron(&beta);
    let inverse = invert(&information);
    let wald_chi2 = match &inverse {
        Some(_) => wald(&information, &beta),
        None => f64::INFINITY,
    };
    let diverged = match &inverse {
        Some(inverse) => diverging(&beta, &gradient, inverse),
        None => collapsed(&information, &start_information),
    };
    // Where the information is singular at the end, the errors are infinite.
    let inverse = inverse.unwrap_or_else(|| vec![vec![f64::INFINITY; p]; p]);
    let lr_chi2 = 2.0 * (ll - null_ll);
    let linear: Vec<f64> = x
        .iter()
        .map(|r| r.iter().zip(&beta).map(|(v, b)| v * b).sum())
        .collect();
    let c = Coefficients::of(beta, &inverse);
    Ok(CoxFit {
        coef: c.coef,
        se: c.se,
        z: c.z,
        p: c.p,
        hr_lower: c.hr_lower,
        hr_upper: c.hr_upper,
        log_likelihood: ll,
        null_log_likelihood: null_ll,
        lr_chi2,
        lr_p: chi2_sf(lr_chi2, p as f64),
        wald_chi2,
        wald_p: chi2_sf(wald_chi2, p as f64),
        score_chi2,
        score_p: chi2_sf(score_chi2, p as f64),
        concordance: concordance(time, event, &linear),
        iterations,
        n,
        events,
        diverged,
    })
}

impl<'a> Model<'a> {
    /// The model of `time, event ~ x`, each row of `x` holding `p` values.
    fn new(time: &'a [f64], event: &'a [bool], x: &[Vec<f64>], p: usize) -> Model<'a> {
        let n = time.len();
        // Centre the covariates for numerical stability (β is unchanged).
        let means: Vec<f64> = (0..p)
            .map(|k| x.iter().map(|r| r[k]).sum::<f64>() / n as f64)
            .collect();
        let xc: Vec<Vec<f64>> = x
            .iter()
            .map(|r| r.iter().zip(&means).map(|(v, m)| v - m).collect())
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| time[b].total_cmp(&time[a]));
        Model {
            strata: Strata { order },
            time,
            event,
            x: xc,
        }
    }

    /// [`efron`] at `beta`.
    fn efron(&self, beta: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        efron(&self.strata, self.time, self.event, &self.x, beta)
    }

    /// Newton–Raphson from `beta` (log-likelihood `ll`) until the log-likelihood stops
    /// changing, or the information turns singular after the first step. Returns the
    /// estimate and the iterations taken.
    fn newton(&self, mut beta: Vec<f64>, mut ll: f64) -> Result<(Vec<f64>, usize), CoxError> {
        let mut iterations = 0;
        loop {
            iterations += 1;
            if iterations > 50 {
                return Err(CoxError::NotConverged(50));
            }
            let (_, gradient, information) = self.efron(&beta);
            let step = match solve(information, gradient) {
                Some(step) => step,
                // Singular at β = 0: a constant or collinear term.
                None if iterations == 1 => return Err(CoxError::Singular),
                // Singular later: the information collapsed as coefficients ran off.
                None => break,
            };
            let (new_beta, new_ll) = self.halving(&beta, &step, ll);
            let change = (new_ll - ll).abs();
            beta = new_beta;
            ll = new_ll;
            if change <= 1e-10 * ll.abs().max(1.0) {
                break;
            }
        }
        Ok((beta, iterations))
    }

    /// The Newton `step` from `beta`, halved until the log-likelihood is finite and does not
    /// fall below `ll` (or the step is under 1e-6 of itself). Returns the new β and its
    /// log-likelihood.
    fn halving(&self, beta: &[f64], step: &[f64], ll: f64) -> (Vec<f64>, f64) {
        let mut scale = 1.0;
        loop {
            let candidate: Vec<f64> = beta.iter().zip(step).map(|(b, s)| b + scale * s).collect();
            let (candidate_ll, _, _) = self.efron(&candidate);
            if candidate_ll.is_finite() && candidate_ll >= ll - 1e-12 || scale < 1e-6 {
                return (candidate, candidate_ll);
            }
            scale /= 2.0;
        }
    }
}

/// The Wald statistic `β' I(β) β`.
fn wald(information: &[Vec<f64>], beta: &[f64]) -> f64 {
    let ib: Vec<f64> = information
        .iter()
        .map(|row| row.iter().zip(beta).map(|(v, b)| v * b).sum())
        .collect();
    quadratic(beta, &ib)
}

impl Coefficients {
    /// The rows of the estimate `beta`, whose covariance is `inverse`.
    fn of(beta: Vec<f64>, inverse: &[Vec<f64>]) -> Coefficients {
        let p = beta.len();
        let z95 = normal_quantile(0.975);
        let se: Vec<f64> = (0..p).map(|k| inverse[k][k].sqrt()).collect();
        let z: Vec<f64> = beta.iter().zip(&se).map(|(b, s)| b / s).collect();
        Coefficients {
            p: z.iter()
                .map(|z| erfc(z.abs() / std::f64::consts::SQRT_2))
                .collect(),
            hr_lower: beta
                .iter()
                .zip(&se)
                .map(|(b, s)| (b - z95 * s).exp())
                .collect(),
            hr_upper: beta
                .iter()
                .zip(&se)
                .map(|(b, s)| (b + z95 * s).exp())
                .collect(),
            z,
            se,
            coef: beta,
        }
    }
}

/// `a · b`, the quadratic form's last step.
fn quadratic(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// R `coxph.fit`'s test for an infinite coefficient: at the estimate, the Newton step that
/// would still be taken, `|(I⁻¹ u)_k|`, exceeds both `eps` = 1e-9 and `sqrt(eps)·|β_k|`
/// ("Loglik converged before variable k; coefficient may be infinite"). A finite estimate
/// converges quadratically, so its remaining step is far below both; a diverging one still
/// moves by about one.
fn diverging(beta: &[f64], gradient: &[f64], inverse: &[Vec<f64>]) -> Vec<bool> {
    const EPS: f64 = 1e-9;
    beta.iter()
        .zip(inverse)
        .map(|(b, row)| {
            let step: f64 = row
                .iter()
                .zip(gradient)
                .map(|(v, u)| v * u)
                .sum::<f64>()
                .abs();
            step > EPS && step > EPS.sqrt() * b.abs()
        })
        .collect()
}

/// Where the information became singular during the fit (it was not at β = 0): the
/// coefficients whose own information fell below 1e-8 of its start, or all if none did.
fn collapsed(information: &[Vec<f64>], start: &[Vec<f64>]) -> Vec<bool> {
    let fell: Vec<bool> = (0..information.len())
        .map(|k| information[k][k] < 1e-8 * start[k][k])
        .collect();
    if fell.contains(&true) {
        fell
    } else {
        vec![true; fell.len()]
    }
}

/// Efron's log partial likelihood, its gradient and the information (minus the Hessian).
fn efron(
    strata: &Strata,
    time: &[f64],
    event: &[bool],
    x: &[Vec<f64>],
    beta: &[f64],
) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let p = beta.len();
    let mut ll = 0.0;
    let mut gradient = vec![0.0; p];
    let mut information = vec![vec![0.0; p]; p];
    // Running sums over the risk set, which grows as time decreases.
    let mut s0 = 0.0;
    let mut s1 = vec![0.0; p];
    let mut s2 = vec![vec![0.0; p]; p];
    let order = &strata.order;
    let mut i = 0;
    while i < order.len() {
        let t = time[order[i]];
        // Everyone at time t joins the risk set; the events among them form D.
        let (mut d0, mut d1, mut d2) = (0.0, vec![0.0; p], vec![vec![0.0; p]; p]);
        let mut m = 0usize;
        while i < order.len() && time[order[i]] == t {
            let r = order[i];
            let eta: f64 = x[r].iter().zip(beta).map(|(v, b)| v * b).sum();
            let w = eta.exp();
            s0 += w;
            for a in 0..p {
                s1[a] += w * x[r][a];
                for b in 0..p {
                    s2[a][b] += w * x[r][a] * x[r][b];
                }
            }
            if event[r] {
                m += 1;
                ll += eta;
                d0 += w;
                for a in 0..p {
                    gradient[a] += x[r][a];
                    d1[a] += w * x[r][a];
                    for b in 0..p {
                        d2[a][b] += w * x[r][a] * x[r][b];
                    }
                }
            }
            i += 1;
        }
        for l in 0..m {
            let f = l as f64 / m as f64;
            let phi = s0 - f * d0;
            ll -= phi.ln();
            let a_vec: Vec<f64> = (0..p).map(|a| s1[a] - f * d1[a]).collect();
            for a in 0..p {
                gradient[a] -= a_vec[a] / phi;
                for b in 0..p {
                    let bb = s2[a][b] - f * d2[a][b];
                    information[a][b] += bb / phi - a_vec[a] * a_vec[b] / (phi * phi);
                }
            }
        }
    }
    (ll, gradient, information)
}

fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut columns = Vec::with_capacity(n);
    for k in 0..n {
        let mut e = vec![0.0; n];
        e[k] = 1.0;
        columns.push(solve(m.to_vec(), e)?);
    }
    Some(
        (0..n)
            .map(|r| (0..n).map(|c| columns[c][r]).collect())
            .collect(),
    )
}

/// Harrell's C: among pairs where one subject has the event before the other's time (or the
/// other is censored at that same time), the share in which the earlier one has the higher
/// risk; ties in risk count one half (as R `survival` and lifelines). O(n log n): subjects are
/// visited from the latest time back, with a Fenwick tree over the ranks of the risks of
/// those already passed.
pub fn concordance(time: &[f64], event: &[bool], risk: &[f64]) -> f64 {
    let n = time.len();
    let mut ranks: Vec<f64> = risk.to_vec();
    ranks.sort_by(f64::total_cmp);
    ranks.dedup();
    let rank = |r: f64| ranks.partition_point(|v| *v < r);
    let mut tree = vec![0.0f64; ranks.len() + 1];
    let add = |tree: &mut Vec<f64>, at: usize| {
        let mut i = at + 1;
        while i < tree.len() {
            tree[i] += 1.0;
            i += i & i.wrapping_neg();
        }
    };
    // How many entries have rank < `at`.
    let below = |tree: &Vec<f64>, at: usize| {
        let mut i = at;
        let mut sum = 0.0;
        while i > 0 {
            sum += tree[i];
            i -= i & i.wrapping_neg();
        }
        sum
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| time[b].total_cmp(&time[a]));
    let (mut concordant, mut comparable, mut inserted) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < n {
        let t = time[order[i]];
        let mut j = i;
        while j < n && time[order[j]] == t {
            j += 1;
        }
        let batch = &order[i..j];
        // Censorings at t outlive the events at t.
        for &r in batch.iter().filter(|&&r| !event[r]) {
            add(&mut tree, rank(risk[r]));
            inserted += 1.0;
        }
        for &r in batch.iter().filter(|&&r| event[r]) {
            let k = rank(risk[r]);
            let less = below(&tree, k);
            let equal = below(&tree, k + 1) - less;
            concordant += less + 0.5 * equal;
            comparable += inserted;
        }
        for &r in batch.iter().filter(|&&r| event[r]) {
            add(&mut tree, rank(risk[r]));
            inserted += 1.0;
        }
        i = j;
    }
    if comparable == 0.0 {
        f64::NAN
    } else {
        concordant / comparable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairwise definition, to check the tree against.
    fn slow(time: &[f64], event: &[bool], risk: &[f64]) -> f64 {
        let (mut c, mut n) = (0.0, 0.0);
        for i in 0..time.len() {
            if !event[i] {
                continue;
            }
            for j in 0..time.len() {
                if time[j] > time[i] || (time[j] == time[i] && !event[j]) {
                    n += 1.0;
                    if risk[i] > risk[j] {
                        c += 1.0;
                    } else if risk[i] == risk[j] {
                        c += 0.5;
                    }
                }
            }
        }
        c / n
    }

    #[test]
    fn the_fast_concordance_equals_the_pairwise_one() {
        let time = [5.0, 5.0, 3.0, 8.0, 8.0, 1.0, 3.0, 9.0, 5.0, 2.0];
        let event = [
            true, false, true, true, false, true, false, false, true, true,
        ];
        let risk = [0.3, 0.3, 1.2, -0.5, 0.3, 2.0, 1.2, 0.0, 0.9, 1.2];
        assert_eq!(
            concordance(&time, &event, &risk),
            slow(&time, &event, &risk)
        );
    }
}
