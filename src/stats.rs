//! numpy's arithmetic, bit for bit: `np.mean` adds with numpy's pairwise summation, starting
//! from the identity 0. Below 8 values that is a left-to-right sum; above, it is not. And the
//! fits the paper's scripts make with scikit-learn and scipy (least squares, Pearson's r).

/// `np.add.reduce` of a 1-D float64 array.
pub fn numpy_sum(values: &[f64]) -> f64 {
    0.0 + pairwise_sum(values)
}

/// numpy's `pairwise_sum` (`loops_utils.h.src`): blocks of 8 accumulators up to 128 elements,
/// halves above.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = -0.0;
        for x in a {
            res += x;
        }
        res
    } else if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let mut i = 8;
        while i < n - (n % 8) {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `float(np.mean(values))`; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| numpy_sum(values) / values.len() as f64)
}

/// `scipy.stats.sem(values)` (ddof = 1); `None` below two values.
pub fn sem(values: &[f64]) -> Option<f64> {
    std_ddof1(values).map(|sd| sd / (values.len() as f64).sqrt())
}

/// `np.std(values, ddof=1)`.
pub fn std_ddof1(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let squares: Vec<f64> = values.iter().map(|x| (x - m) * (x - m)).collect();
    Some((numpy_sum(&squares) / (values.len() - 1) as f64).sqrt())
}

/// `y = slope · x + intercept`, fitted by ordinary least squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub slope: f64,
    pub intercept: f64,
}

impl Fit {
    pub fn at(&self, x: f64) -> f64 {
        self.slope * x + self.intercept
    }
}

/// `sklearn.linear_model.LinearRegression` on one feature: `None` below two distinct x.
pub fn least_squares(xs: &[f64], ys: &[f64]) -> Option<Fit> {
    let n = xs.len();
    if n < 2 || ys.len() != n {
        return None;
    }
    let mx = mean(xs)?;
    let my = mean(ys)?;
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some(Fit {
        slope,
        intercept: my - slope * mx,
    })
}

/// `scipy.stats.pearsonr(x, y)[0]`: `None` below two points or without spread.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() < 2 || ys.len() != xs.len() {
        return None;
    }
    let mx = mean(xs)?;
    let my = mean(ys)?;
    let dx: Vec<f64> = xs.iter().map(|x| x - mx).collect();
    let dy: Vec<f64> = ys.iter().map(|y| y - my).collect();
    let nx = dx.iter().map(|v| v * v).sum::<f64>().sqrt();
    let ny = dy.iter().map(|v| v * v).sum::<f64>().sqrt();
    if nx == 0.0 || ny == 0.0 {
        return None;
    }
    let r: f64 = dx.iter().zip(&dy).map(|(a, b)| (a / nx) * (b / ny)).sum();
    Some(r.clamp(-1.0, 1.0))
}

/// `np.quantile(values, q)` with numpy's default (linear) interpolation, `q` in `[0, 1]`;
/// `None` for no values. NaNs are not expected (timings).
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, frac) = (at.floor() as usize, at - at.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// `np.median(values)`.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sums_are_left_folds_long_ones_pairwise() {
        let v = [0.1, 0.2, 0.3, 0.4];
        assert_eq!(numpy_sum(&v), ((0.1 + 0.2) + 0.3) + 0.4);
        let w: Vec<f64> = (1..=9).map(|i| i as f64 / 10.0).collect();
        let r = &w[..8];
        let blocks = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        assert_eq!(numpy_sum(&w), blocks + w[8]);
        assert_eq!(mean(&[1.0, 2.0, 3.0]), Some(2.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn long_sums_use_blocks() {
        let v: Vec<f64> = (0..300).map(|i| i as f64 * 0.1).collect();
        let exact: f64 = (0..300).map(|i| i as f64).sum::<f64>() * 0.1;
        assert!((numpy_sum(&v) - exact).abs() < 1e-9);
    }

    #[test]
    fn sem_of_known_values() {
        let s = sem(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((s - 0.6454972243679028).abs() < 1e-15);
        assert_eq!(sem(&[1.0]), None);
    }

    #[test]
    fn quantiles_interpolate_as_numpy_does() {
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&v), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 0.75), Some(3.25));
        assert_eq!(quantile(&[7.0], 0.25), Some(7.0));
        assert_eq!(median(&[]), None);
    }
}
