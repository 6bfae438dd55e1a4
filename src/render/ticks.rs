//! matplotlib's tick locator and tick labels: `MaxNLocator` (the `AutoLocator` every axis gets:
//! "nice" steps of 1, 2, 2.5, 5 and 10 times a power of ten, at most 9 intervals, as many as the
//! axis has room for) and `ScalarFormatter` (the fewest decimals that tell the ticks apart).
//! Ported from matplotlib 3.10's `ticker.py`, without the offset and scientific notation (no
//! figure here spans values far from zero or beyond 10⁶).

/// Python's float `divmod`: floor division and the remainder with the sign of `y`.
fn divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0_f64.copysign(y);
    }
    let floor = if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0.0_f64.copysign(x / y)
    };
    (floor, m)
}

/// `ticker.scale_range`: the power of ten of a step, and an offset for spans far from zero.
fn scale_range(vmin: f64, vmax: f64, n: f64) -> (f64, f64) {
    let dv = (vmax - vmin).abs();
    let meanv = (vmax + vmin) / 2.0;
    let offset = if meanv.abs() / dv < 100.0 {
        0.0
    } else {
        10f64.powf(meanv.abs().log10().floor()).copysign(meanv)
    };
    (10f64.powf((dv / n).log10().floor()), offset)
}

/// `ticker._Edge_integer`: floor and ceiling in steps, forgiving float noise.
struct Edge {
    step: f64,
    offset: f64,
}

impl Edge {
    fn close_to(&self, ms: f64, edge: f64) -> bool {
        let tol = if self.offset > 0.0 {
            let digits = (self.offset / self.step).log10();
            10f64.powf(digits - 12.0).clamp(1e-10, 0.4999)
        } else {
            1e-10
        };
        (ms - edge).abs() < tol
    }

    fn le(&self, x: f64) -> f64 {
        let (d, m) = divmod(x, self.step);
        if self.close_to(m / self.step, 1.0) {
            d + 1.0
        } else {
            d
        }
    }

    fn ge(&self, x: f64) -> f64 {
        let (d, m) = divmod(x, self.step);
        if self.close_to(m / self.step, 0.0) {
            d
        } else {
            d + 1.0
        }
    }
}

/// `transforms.nonsingular`: a range that is not a point (autoscaling uses `expander` 0.05,
/// the locator 1e-13).
pub fn nonsingular(vmin: f64, vmax: f64, expander: f64) -> (f64, f64) {
    if !vmin.is_finite() || !vmax.is_finite() {
        return (-expander, expander);
    }
    let (mut lo, mut hi) = if vmax < vmin {
        (vmax, vmin)
    } else {
        (vmin, vmax)
    };
    let tiny = 1e-14;
    let max_abs = lo.abs().max(hi.abs());
    if max_abs < (1e6 / tiny) * f64::MIN_POSITIVE {
        return (-expander, expander);
    }
    if hi - lo <= max_abs * tiny {
        if hi == 0.0 && lo == 0.0 {
            return (-expander, expander);
        }
        lo -= expander * lo.abs();
        hi += expander * hi.abs();
    }
    (lo, hi)
}

/// The intervals an axis of `length_pt` has room for, with tick labels of `label_pt`
/// (`Axis.get_tick_space`: a label takes 3 of its font sizes along an x axis, 2 along a y axis),
/// clipped to 1–9 as `MaxNLocator(nbins="auto")` does.
pub fn auto_bins(length_pt: f64, label_pt: f64, horizontal: bool) -> usize {
    let per = label_pt * if horizontal { 3.0 } else { 2.0 };
    let space = if per > 0.0 {
        (length_pt / per).floor()
    } else {
        9.0
    };
    space.clamp(1.0, 9.0) as usize
}

/// `MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10], integer)` on the view `vmin..vmax`: the ticks,
/// which may reach one step beyond the view (the axis draws only those inside).
pub fn locate(vmin: f64, vmax: f64, nbins: usize, integer: bool) -> Vec<f64> {
    const MIN_N_TICKS: usize = 2;
    let (vmin, vmax) = nonsingular(vmin, vmax, 1e-13);
    let nbins = nbins.max(1) as f64;
    let (scale, offset) = scale_range(vmin, vmax, nbins);
    let (lo, hi) = (vmin - offset, vmax - offset);
    let mut steps: Vec<f64> = [0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
        .iter()
        .map(|s| s * scale)
        .collect();
    if integer {
        steps.retain(|&s| s < 1.0 || (s - s.round()).abs() < 0.001);
    }
    let raw_step = (hi - lo) / nbins;
    let istep = steps
        .iter()
        .position(|&s| s >= raw_step)
        .unwrap_or(steps.len() - 1);
    let mut ticks = Vec::new();
    for &candidate in steps[..=istep].iter().rev() {
        let step = if integer && hi.floor() - lo.ceil() >= (MIN_N_TICKS - 1) as f64 {
            candidate.max(1.0)
        } else {
            candidate
        };
        let best_vmin = divmod(lo, step).0 * step;
        let edge = Edge {
            step,
            offset: offset.abs(),
        };
        let low = edge.le(lo - best_vmin);
        let high = edge.ge(hi - best_vmin);
        ticks.clear();
        let mut k = low;
        while k < high + 1.0 {
            ticks.push(k * step + best_vmin);
            k += 1.0;
        }
        let shown = ticks.iter().filter(|&&t| lo <= t && t <= hi).count();
        if shown >= MIN_N_TICKS {
            break;
        }
    }
    ticks.into_iter().map(|t| t + offset).collect()
}

/// The ticks an axis from `a` to `b` (either order) draws (`_interval_contains_close`).
pub fn in_view(ticks: &[f64], a: f64, b: f64) -> Vec<f64> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let tol = 1e-10 * (hi - lo);
    ticks
        .iter()
        .copied()
        .filter(|&t| lo - tol <= t && t <= hi + tol)
        .collect()
}

/// numpy's `round(x, decimals)`: halves to even.
fn round_to(x: f64, decimals: i32) -> f64 {
    let p = 10f64.powi(decimals);
    (x * p).round_ties_even() / p
}

/// `ScalarFormatter`'s decimals for these tick locations (all of them, as the locator gave
/// them, with the view's ends added where there are fewer than two).
pub fn decimals(locs: &[f64], view: (f64, f64)) -> usize {
    let mut all = locs.to_vec();
    if locs.len() < 2 {
        all.extend([view.0, view.1]);
    }
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut range = hi - lo;
    if range == 0.0 {
        range = all.iter().map(|v| v.abs()).fold(0.0, f64::max);
    }
    if range == 0.0 || !range.is_finite() {
        range = 1.0;
    }
    let oom = range.log10().floor() as i32;
    let thresh = 1e-3 * 10f64.powi(oom);
    let mut sigfigs = (3 - oom).max(0);
    while sigfigs >= 0 {
        let worst = locs
            .iter()
            .map(|&v| (v - round_to(v, sigfigs)).abs())
            .fold(0.0, f64::max);
        if worst < thresh {
            sigfigs -= 1;
        } else {
            break;
        }
    }
    (sigfigs + 1).max(0) as usize
}

/// One tick label with `decimals` decimals, a true minus sign (`axes.unicode_minus`).
pub fn label(v: f64, decimals: usize) -> String {
    let v = if v.abs() < 1e-8 { 0.0 } else { v };
    format!("{v:.decimals$}").replace('-', "\u{2212}")
}

/// The ticks an axis from `a` to `b` draws and their labels, `nbins` intervals at most.
pub fn ticks(a: f64, b: f64, nbins: usize, integer: bool) -> Vec<(f64, String)> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let locs = locate(lo, hi, nbins, integer);
    let d = decimals(&locs, (lo, hi));
    in_view(&locs, lo, hi)
        .into_iter()
        .map(|t| (t, label(t, d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: f64, b: f64, nbins: usize) -> Vec<String> {
        ticks(a, b, nbins, false).into_iter().map(|t| t.1).collect()
    }

    /// What matplotlib 3.10 prints on the paper's axes (read from its figures' tick labels).
    #[test]
    fn the_paper_axes_get_matplotlibs_ticks() {
        // Figure 9: 0 to 1.97, 9 bins.
        assert_eq!(
            labels(0.0, 1.972_371_964_229_922_2, 9),
            ["0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "1.75"]
        );
        // Figure 7: 0 to 1.635; the locator's 1.8 is past the view but not in the labels.
        assert_eq!(
            labels(0.0, 1.634_960_817_557_515_4, 9),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "1.2", "1.4", "1.6"]
        );
        assert_eq!(
            locate(0.0, 1.634_960_817_557_515_4, 9, false)
                .last()
                .copied(),
            Some(1.8)
        );
        // Figure 7's inset x axis: −5 is located (and so counted), not drawn.
        assert_eq!(
            locate(-0.275, 16.775, 4, false),
            [-5.0, 0.0, 5.0, 10.0, 15.0, 20.0]
        );
        assert_eq!(labels(-0.275, 16.775, 4), ["0", "5", "10", "15"]);
        // Figure 1: 0 to 36.5 in steps of 5; figure 12's colorbar: 0 to 100 in 20s.
        assert_eq!(labels(0.0, 36.5085, 9).len(), 8);
        assert_eq!(labels(0.0, 100.0, 9), ["0", "20", "40", "60", "80", "100"]);
        // Figure 12's time axis: 0 to 25.7 s.
        assert_eq!(labels(0.0, 25.7, 9), ["0", "5", "10", "15", "20", "25"]);
    }

    #[test]
    fn short_spans_get_decimal_ticks() {
        assert_eq!(
            labels(0.0, 0.3, 9),
            ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"]
        );
        assert_eq!(labels(0.0, 0.6, 5), ["0.0", "0.2", "0.4", "0.6"]);
    }

    #[test]
    fn integer_axes_step_by_whole_numbers() {
        let t: Vec<f64> = ticks(0.0, 3.0, 9, true).into_iter().map(|t| t.0).collect();
        assert_eq!(t, [0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            labels(0.0, 3.0, 9).len(),
            7,
            "0.0, 0.5, … without `integer`"
        );
    }

    #[test]
    fn negative_labels_use_a_minus_sign_and_points_do_not_break() {
        assert_eq!(label(-5.0, 0), "\u{2212}5");
        assert_eq!(label(-1e-12, 1), "0.0");
        assert!(!ticks(2.0, 2.0, 9, false).is_empty());
        assert_eq!(auto_bins(277.0, 10.0, false), 9);
        assert_eq!(auto_bins(117.0, 8.0, true), 4);
    }
}
