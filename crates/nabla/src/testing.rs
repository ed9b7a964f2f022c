//! Random expressions for property tests.

use proptest::prelude::*;

/// A symbol `x`, `y` or `z`, or a number: integer, fraction, `pi` or a float.
pub fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        Just("z".to_string()),
        (1i64..6).prop_map(|n| n.to_string()),
        (1i64..5, 2i64..5).prop_map(|(p, q)| format!("({p}/{q})")),
        Just("pi".to_string()),
        Just("2.5".to_string()),
    ]
}

/// Expression text over `x`, `y`, `z` mixing every operator and most functions.
pub fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} / ({b}^2 + 1))")),
            (inner.clone(), -2i64..4).prop_map(|(a, n)| format!("({a})^{n}")),
            (
                inner.clone(),
                prop::sample::select(vec!["sin", "cos", "atan", "exp", "tanh", "sinh", "abs"])
            )
                .prop_map(|(a, f)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("log({a}^2 + 1)")),
            inner.clone().prop_map(|a| format!("sqrt({a}^2 + 2)")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("(({a})^2 + 1)^(sin({b}))")),
        ]
    })
}
