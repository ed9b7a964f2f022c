//! Contour levels: which values separate the colour bands, how they are spaced (evenly, or
//! logarithmically when the function spans orders of magnitude) and how they are printed.

use crate::error::PlotError;
use crate::sampling::quantile;

/// How the contour levels of a [`ContourPlot`](crate::ContourPlot) are chosen.
///
/// ```
/// use nabla_plot::{ContourPlot, Levels, Picture};
///
/// let bowl = |x: f64, y: f64| x * x + y * y;
/// let svg = ContourPlot::new(bowl, -1.0..=1.0, -1.0..=1.0)
///     .levels(Levels::Explicit(vec![0.0, 0.25, 0.5, 1.0, 2.0]))
///     .to_svg()?;
/// assert!(svg.contains("0.25"));
/// # Ok::<(), nabla_plot::PlotError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Levels {
    /// Logarithmic levels when the function is non-negative and spans three or more orders of
    /// magnitude (like Rosenbrock's), otherwise about ten evenly spaced "nice" levels.
    #[default]
    Auto,
    /// About this many evenly spaced bands at round values (steps of 1, 2, 2.5 or 5 × 10ᵏ).
    Linear(usize),
    /// Levels at 1, 2, 5 (or 1, 3, or 1) × 10ᵏ, depending on how many decades are covered.
    Log,
    /// Exactly these boundaries (finite, strictly increasing, at least two).
    Explicit(Vec<f64>),
}

/// How the chosen levels are spaced; decides how they are printed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Spacing {
    /// Evenly spaced with this step.
    Linear {
        step: f64,
    },
    Log,
    Explicit,
}

/// The boundaries between colour bands. Band `k` holds values in `[boundaries[k], boundaries[k+1])`;
/// values below the first or above the last boundary are drawn in the outermost band's colour
/// and the colour bar shows that with a pointed end.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LevelSet {
    pub(crate) boundaries: Vec<f64>,
    pub(crate) spacing: Spacing,
    pub(crate) extends_below: bool,
    pub(crate) extends_above: bool,
}

/// Bands aimed for by `Levels::Auto` on evenly spaced levels.
const DEFAULT_BANDS: usize = 10;
/// `Levels::Auto` switches to log levels when max / (2nd percentile) exceeds this.
const LOG_RATIO: f64 = 1e3;

impl LevelSet {
    /// Chooses levels for the finite samples `sorted` (ascending, non-empty).
    pub(crate) fn choose(spec: &Levels, sorted: &[f64]) -> Result<Self, PlotError> {
        debug_assert!(!sorted.is_empty());
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let set = match spec {
            Levels::Auto if wants_log(sorted) => log_levels(sorted)?,
            Levels::Auto => linear_levels(min, max, DEFAULT_BANDS),
            Levels::Linear(bands) if (1..=100).contains(bands) => linear_levels(min, max, *bands),
            Levels::Linear(bands) => {
                return Err(PlotError::InvalidInput(format!(
                    "Levels::Linear({bands}): the number of bands must be between 1 and 100"
                )));
            }
            Levels::Log => log_levels(sorted)?,
            Levels::Explicit(boundaries) => explicit_levels(boundaries)?,
        };
        Ok(LevelSet {
            extends_below: min < set.boundaries[0],
            extends_above: max > set.boundaries[set.boundaries.len() - 1],
            ..set
        })
    }

    pub(crate) fn band_count(&self) -> usize {
        self.boundaries.len() - 1
    }

    /// The band of a finite value; values outside the boundaries go to the outermost bands.
    pub(crate) fn band_of(&self, value: f64) -> usize {
        let above = self.boundaries[1..self.boundaries.len() - 1].partition_point(|&b| b <= value);
        above.min(self.band_count() - 1)
    }

    /// Whether `band_of(value)` is `band`, decided without a search.
    pub(crate) fn in_band(&self, value: f64, band: usize) -> bool {
        let last = self.band_count() - 1;
        (band == 0 || value >= self.boundaries[band])
            && (band == last || value < self.boundaries[band + 1])
    }

    /// The levels worth drawing as contour lines: every boundary that some value may cross.
    pub(crate) fn line_levels(&self) -> impl Iterator<Item = f64> + '_ {
        let n = self.boundaries.len();
        let first = usize::from(!self.extends_below);
        let last = if self.extends_above { n } else { n - 1 };
        self.boundaries[first..last].iter().copied()
    }

    /// A level printed as briefly as its spacing allows: "0.25", "1e-3", "3000".
    pub(crate) fn format(&self, value: f64) -> String {
        match self.spacing {
            Spacing::Linear { step } => format_with_step(value, step),
            Spacing::Log | Spacing::Explicit => format_significant(value),
        }
    }
}

fn wants_log(sorted: &[f64]) -> bool {
    let max = sorted[sorted.len() - 1];
    sorted[0] >= 0.0 && positive_low(sorted).is_some_and(|low| max / low >= LOG_RATIO)
}

/// The 2nd percentile of the strictly positive samples.
fn positive_low(sorted: &[f64]) -> Option<f64> {
    let start = sorted.partition_point(|&v| v <= 0.0);
    (start < sorted.len()).then(|| quantile(&sorted[start..], 0.02))
}

/// The "nice" number (1, 2, 2.5 or 5 × 10ᵏ) nearest above `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let mantissa = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&m| m >= mantissa * (1.0 - 1e-9))
        .unwrap_or(10.0);
    nice * magnitude
}

fn linear_levels(min: f64, max: f64, bands: usize) -> LevelSet {
    // Dividing before subtracting keeps the step finite even for values near ±f64::MAX.
    let per_band = if max > min {
        max / bands as f64 - min / bands as f64
    } else {
        min.abs().max(1.0) / bands as f64
    };
    let step = nice_step(per_band);
    let first = (min / step).floor();
    let last = (max / step).ceil().max(first + 1.0);
    // Multiplying integers by the step (instead of summing steps) keeps the levels round.
    let boundaries = (first as i64..=last as i64)
        .map(|k| (k as f64 * step).clamp(f64::MIN, f64::MAX))
        .collect();
    LevelSet {
        boundaries,
        spacing: Spacing::Linear { step },
        extends_below: false,
        extends_above: false,
    }
}

fn log_levels(sorted: &[f64]) -> Result<LevelSet, PlotError> {
    let max = sorted[sorted.len() - 1];
    let low = positive_low(sorted).ok_or_else(|| {
        PlotError::InvalidInput("log-spaced contour levels need positive function values".into())
    })?;
    let first_decade = low.log10().floor() as i32;
    let last_decade = max.log10().ceil() as i32;
    let decades = (last_decade - first_decade).max(1);
    let (mantissas, decade_step): (&[f64], i32) = match decades {
        0..=2 => (&[1.0, 2.0, 5.0], 1),
        3..=5 => (&[1.0, 3.0], 1),
        6..=10 => (&[1.0], 1),
        _ => (&[1.0], (decades + 9) / 10),
    };
    let mut boundaries = Vec::new();
    let mut decade = first_decade;
    'outer: while decade <= last_decade {
        for &m in mantissas {
            let level = round_significant(m * decade_value(decade)).min(f64::MAX);
            boundaries.push(level);
            if level >= max {
                break 'outer;
            }
        }
        decade += decade_step;
    }
    if boundaries.len() < 2 {
        boundaries.push(round_significant(decade_value(decade + decade_step)).min(f64::MAX));
    }
    Ok(LevelSet {
        boundaries,
        spacing: Spacing::Log,
        extends_below: false,
        extends_above: false,
    })
}

fn explicit_levels(boundaries: &[f64]) -> Result<LevelSet, PlotError> {
    let valid = boundaries.len() >= 2
        && boundaries.iter().all(|b| b.is_finite())
        && boundaries.windows(2).all(|w| w[0] < w[1]);
    if !valid {
        return Err(PlotError::InvalidInput(format!(
            "explicit contour levels must be at least two finite, strictly increasing values, got {boundaries:?}"
        )));
    }
    Ok(LevelSet {
        boundaries: boundaries.to_vec(),
        spacing: Spacing::Explicit,
        extends_below: false,
        extends_above: false,
    })
}

/// 10ᵏ, also for k below −307 where `powi` (which divides by 10⁻ᵏ) underflows to zero.
fn decade_value(k: i32) -> f64 {
    10f64.powf(f64::from(k))
}

/// Removes floating-point noise such as 0.30000000000000004 by rounding to 12 significant digits.
fn round_significant(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = decade_value(value.abs().log10().floor() as i32 - 11);
    if !magnitude.is_normal() {
        return value;
    }
    (value / magnitude).round() * magnitude
}

/// Prints `value` with as many decimals as the step needs (a step of 0.25 needs two).
pub(crate) fn format_with_step(value: f64, step: f64) -> String {
    let mut decimals = 0usize;
    while decimals < 12
        && ((step * 10f64.powi(decimals as i32)).round() - step * 10f64.powi(decimals as i32)).abs()
            > 1e-6
    {
        decimals += 1;
    }
    let text = format!("{value:.decimals$}");
    // "-0" reads as a different number from "0".
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        typeset_minus(&text)
    }
}

/// The typographic minus sign (U+2212), as wide as a plus, instead of the hyphen Rust prints.
fn typeset_minus(text: &str) -> String {
    text.replace('-', "\u{2212}")
}

/// Prints `value` with at most three significant digits, switching to exponent notation outside
/// 0.001 ≤ |value| < 100000.
pub(crate) fn format_significant(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let exponent = value.abs().log10().floor() as i32;
    if (-3..5).contains(&exponent) {
        let decimals = (2 - exponent).max(0) as usize;
        let text = format!("{value:.decimals$}");
        if text.contains('.') {
            typeset_minus(text.trim_end_matches('0').trim_end_matches('.'))
        } else {
            typeset_minus(&text)
        }
    } else {
        let mantissa = value / decade_value(exponent);
        let text = format!("{mantissa:.2}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        typeset_minus(&format!("{text}e{exponent}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(mut values: Vec<f64>) -> Vec<f64> {
        values.sort_by(f64::total_cmp);
        values
    }

    /// Samples of Rosenbrock's function over [-2, 2] × [-1, 3].
    fn rosenbrock_samples() -> Vec<f64> {
        let n = 101;
        let mut values = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let x = -2.0 + 4.0 * i as f64 / (n - 1) as f64;
                let y = -1.0 + 4.0 * j as f64 / (n - 1) as f64;
                values.push((1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2));
            }
        }
        sorted(values)
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.9), 1.0);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert!((nice_step(0.0031) - 0.005).abs() < 1e-15);
    }

    #[test]
    fn linear_levels_are_round_and_cover_the_data() {
        // The reference example x² + 3xy − 2y² over [-2, 2]² spans [-12.5, 12.5] roughly.
        let set = LevelSet::choose(&Levels::Auto, &[-12.5, -3.0, 0.0, 4.0, 12.5]).unwrap();
        assert_eq!(set.spacing, Spacing::Linear { step: 2.5 });
        assert_eq!(set.boundaries.first(), Some(&-12.5));
        assert_eq!(set.boundaries.last(), Some(&12.5));
        assert_eq!(set.band_count(), 10);
        assert!(!set.extends_below && !set.extends_above);
        // The outer boundaries equal the extremes, so only interior levels are drawn as lines.
        assert_eq!(set.line_levels().count(), 9);
    }

    #[test]
    fn rosenbrock_gets_log_levels() {
        let set = LevelSet::choose(&Levels::Auto, &rosenbrock_samples()).unwrap();
        assert_eq!(set.spacing, Spacing::Log);
        assert!(
            set.extends_below,
            "the minimum 0 lies below every log level"
        );
        let last = *set.boundaries.last().unwrap();
        assert!(
            (2509.0..=3000.0 + 1e-9).contains(&last),
            "{:?}",
            set.boundaries
        );
        for w in set.boundaries.windows(2) {
            let ratio = w[1] / w[0];
            assert!((1.5..=5.0).contains(&ratio), "{:?}", set.boundaries);
        }
        assert!((4..=14).contains(&set.band_count()), "{:?}", set.boundaries);
    }

    #[test]
    fn a_quadratic_bowl_keeps_linear_levels() {
        // x² + y² over [-5, 5]²: small values are rare in two dimensions.
        let axis = |k: usize| k as f64 / 10.0 - 5.0;
        let values = sorted(
            (0..101)
                .flat_map(|i| (0..101).map(move |j| axis(i).powi(2) + axis(j).powi(2)))
                .collect(),
        );
        let set = LevelSet::choose(&Levels::Auto, &values).unwrap();
        assert!(matches!(set.spacing, Spacing::Linear { .. }));
    }

    #[test]
    fn log_levels_need_positive_values() {
        assert!(LevelSet::choose(&Levels::Log, &[-3.0, -1.0]).is_err());
    }

    #[test]
    fn explicit_levels_are_checked() {
        assert!(LevelSet::choose(&Levels::Explicit(vec![1.0]), &[0.0]).is_err());
        assert!(LevelSet::choose(&Levels::Explicit(vec![1.0, 1.0]), &[0.0]).is_err());
        assert!(LevelSet::choose(&Levels::Explicit(vec![0.0, f64::NAN]), &[0.0]).is_err());
        let set = LevelSet::choose(&Levels::Explicit(vec![0.0, 1.0, 2.0]), &[-1.0, 3.0]).unwrap();
        assert!(set.extends_below && set.extends_above);
        assert_eq!(set.line_levels().collect::<Vec<_>>(), vec![0.0, 1.0, 2.0]);
        assert!(LevelSet::choose(&Levels::Linear(0), &[0.0, 1.0]).is_err());
    }

    #[test]
    fn constant_data_gets_one_band() {
        let set = LevelSet::choose(&Levels::Auto, &[4.0, 4.0, 4.0]).unwrap();
        assert!(set.band_count() >= 1);
        assert_eq!(set.band_of(4.0), set.band_of(4.0));
    }

    #[test]
    fn bands_of_values() {
        let set = LevelSet::choose(&Levels::Explicit(vec![0.0, 1.0, 2.0]), &[0.0, 2.0]).unwrap();
        assert_eq!(set.band_of(-5.0), 0);
        assert_eq!(set.band_of(0.5), 0);
        assert_eq!(set.band_of(1.0), 1);
        assert_eq!(set.band_of(2.0), 1);
        assert_eq!(set.band_of(9.0), 1);
    }

    #[test]
    fn printing() {
        assert_eq!(format_with_step(-2.5, 2.5), "\u{2212}2.5");
        assert_eq!(format_with_step(5.0, 2.5), "5.0");
        assert_eq!(format_with_step(-0.0, 1.0), "0");
        assert_eq!(format_with_step(0.75, 0.25), "0.75");
        assert_eq!(format_significant(0.30000000000000004), "0.3");
        assert_eq!(format_significant(3000.0), "3000");
        assert_eq!(format_significant(1e-5), "1e\u{2212}5");
        assert_eq!(format_significant(-0.25), "\u{2212}0.25");
        assert_eq!(format_significant(2.5e7), "2.5e7");
    }

    proptest! {
        #[test]
        fn any_finite_values_get_finite_increasing_levels(
            mut values in prop::collection::vec(prop::num::f64::NORMAL | prop::num::f64::ZERO, 1..40),
        ) {
            values.sort_by(f64::total_cmp);
            for spec in [Levels::Auto, Levels::Linear(7)] {
                let set = LevelSet::choose(&spec, &values).unwrap();
                prop_assert!(set.boundaries.iter().all(|b| b.is_finite()));
                prop_assert!(set.boundaries.windows(2).all(|w| w[0] <= w[1]));
                for &v in &values {
                    prop_assert!(set.in_band(v, set.band_of(v)));
                }
            }
        }

        #[test]
        fn every_value_falls_in_a_band_and_levels_increase(
            mut values in prop::collection::vec(-1e6f64..1e6, 1..50),
            bands in 1usize..30,
        ) {
            values.sort_by(f64::total_cmp);
            let set = LevelSet::choose(&Levels::Linear(bands), &values).unwrap();
            prop_assert!(set.boundaries.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(set.boundaries[0] <= values[0]);
            prop_assert!(*set.boundaries.last().unwrap() >= *values.last().unwrap());
            for &v in &values {
                let band = set.band_of(v);
                prop_assert!(set.in_band(v, band));
                prop_assert!((0..set.band_count()).filter(|&b| set.in_band(v, b)).count() == 1);
                prop_assert!(set.boundaries[band] <= v && v <= set.boundaries[band + 1]);
            }
        }
    }
}
