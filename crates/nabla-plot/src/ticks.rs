//! Tick labels of linear axes: every label of an axis gets the same number of decimals, as few
//! as its tick step needs ("5", "10" for epochs; "-2.0", "-1.5" for half steps).

use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;

use crate::levels::format_with_step;
use crate::sampling::Interval;

/// Formats the ticks plotters draws on `axis` when asked for at most `labels` labels.
pub(crate) fn formatter(axis: Interval, labels: usize) -> impl Fn(&f64) -> String {
    let ticks = RangedCoordf64::from(axis.min..axis.max).key_points(labels);
    // Tick steps are 1, 2 or 5 × 10ᵏ, so any two neighbours tell the decimals needed.
    let step = match ticks.as_slice() {
        [a, b, ..] => b - a,
        _ => axis.span(),
    };
    move |value: &f64| format_with_step(*value, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_the_tick_step() {
        let epochs = formatter(
            Interval {
                min: 0.2,
                max: 40.8,
            },
            10,
        );
        assert_eq!(epochs(&5.0), "5");
        assert_eq!(epochs(&40.0), "40");
        let square = formatter(
            Interval {
                min: -2.0,
                max: 2.0,
            },
            9,
        );
        assert_eq!(square(&-2.0), "\u{2212}2.0");
        assert_eq!(square(&1.5), "1.5");
        let small = formatter(
            Interval {
                min: 0.0,
                max: 0.01,
            },
            5,
        );
        assert_eq!(small(&0.005), "0.005");
    }
}
