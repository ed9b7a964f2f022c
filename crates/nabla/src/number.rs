//! Numbers: exact rationals of any size (with an inline `i64` fast path) and IEEE floats.
//!
//! Exact arithmetic is the default; a float appears only where the input had one, and then it
//! "wins" (as in SymPy: `2.5 + 1/2` is the float `3.0`).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use dashu_int::ops::{BitTest, UnsignedAbs};
use dashu_int::{IBig, UBig};
use dashu_ratio::RBig;

/// Largest result, in bits, that exact powers may produce; beyond it `2^(10^30)` stays unevaluated.
const MAX_POW_BITS: usize = 1 << 22;

/// An exact rational number in lowest terms with a positive denominator.
///
/// Values whose numerator and denominator fit in `i64` are stored inline; only larger values
/// allocate. The representation is canonical, so derived equality and hashing are value equality.
///
/// ```
/// use nabla::number::Rational;
/// let a = Rational::new(6, -4);
/// assert_eq!(a.to_string(), "-3/2");
/// assert_eq!((a.clone() * a).to_string(), "9/4");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Rational {
    /// `numerator / denominator`, denominator ≥ 1, gcd 1.
    Small(i64, i64),
    /// Anything that does not fit `Small`.
    Big(Box<RBig>),
}

fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rational {
    pub const ZERO: Rational = Rational::Small(0, 1);
    pub const ONE: Rational = Rational::Small(1, 1);

    /// `n / d` in lowest terms. Panics if `d == 0` (a programming error, not a user one).
    pub fn new(n: i64, d: i64) -> Rational {
        assert!(d != 0, "zero denominator");
        Self::from_i128(n as i128, d as i128)
    }

    pub fn from_int(n: i64) -> Rational {
        Rational::Small(n, 1)
    }

    fn from_i128(n: i128, d: i128) -> Rational {
        let (mut n, mut d) = if d < 0 { (-n, -d) } else { (n, d) };
        let g = gcd_u128(n.unsigned_abs(), d as u128) as i128;
        if g > 1 {
            n /= g;
            d /= g;
        }
        match (i64::try_from(n), i64::try_from(d)) {
            (Ok(n), Ok(d)) => Rational::Small(n, d),
            _ => Rational::Big(Box::new(RBig::from_parts(
                IBig::from(n),
                UBig::from(d as u128),
            ))),
        }
    }

    /// Builds from a big rational, demoting to the inline form when it fits.
    pub fn from_rbig(r: RBig) -> Rational {
        match (i64::try_from(r.numerator()), i64::try_from(r.denominator())) {
            (Ok(n), Ok(d)) => Rational::Small(n, d),
            _ => Rational::Big(Box::new(r)),
        }
    }

    pub fn from_ibig(n: IBig) -> Rational {
        Self::from_rbig(RBig::from(n))
    }

    /// Parses a string of decimal digits as an integer.
    pub fn parse_integer(digits: &str) -> Option<Rational> {
        if let Ok(n) = digits.parse::<i64>() {
            return Some(Rational::Small(n, 1));
        }
        digits.parse::<IBig>().ok().map(Self::from_ibig)
    }

    fn to_rbig(&self) -> RBig {
        match self {
            Rational::Small(n, d) => RBig::from_parts(IBig::from(*n), UBig::from(*d as u64)),
            Rational::Big(r) => (**r).clone(),
        }
    }

    pub fn numerator(&self) -> IBig {
        match self {
            Rational::Small(n, _) => IBig::from(*n),
            Rational::Big(r) => r.numerator().clone(),
        }
    }

    pub fn denominator(&self) -> UBig {
        match self {
            Rational::Small(_, d) => UBig::from(*d as u64),
            Rational::Big(r) => r.denominator().clone(),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Rational::Small(0, _))
    }

    pub fn is_one(&self) -> bool {
        matches!(self, Rational::Small(1, 1))
    }

    pub fn is_minus_one(&self) -> bool {
        matches!(self, Rational::Small(-1, 1))
    }

    pub fn is_integer(&self) -> bool {
        match self {
            Rational::Small(_, d) => *d == 1,
            Rational::Big(r) => r.denominator().is_one(),
        }
    }

    pub fn is_negative(&self) -> bool {
        self.signum() < 0
    }

    pub fn signum(&self) -> i32 {
        match self {
            Rational::Small(n, _) => n.signum() as i32,
            Rational::Big(r) => {
                let n = r.numerator();
                if *n < IBig::ZERO { -1 } else { 1 }
            }
        }
    }

    /// The value as an `i64` when it is an integer that fits.
    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Rational::Small(n, 1) => Some(*n),
            _ => None,
        }
    }

    /// Nearest `f64` (correctly rounded for big values too).
    pub fn to_f64(&self) -> f64 {
        match self {
            Rational::Small(n, 1) => *n as f64,
            Rational::Small(n, d) if n.unsigned_abs() < (1 << 53) && *d < (1 << 53) => {
                *n as f64 / *d as f64
            }
            _ => self.to_rbig().to_f64().value(),
        }
    }

    pub fn abs(&self) -> Rational {
        if self.is_negative() {
            -self.clone()
        } else {
            self.clone()
        }
    }

    /// `1 / self`, or `None` for zero.
    pub fn recip(&self) -> Option<Rational> {
        if self.is_zero() {
            return None;
        }
        Some(match self {
            Rational::Small(n, d) => Self::from_i128(*d as i128, *n as i128),
            Rational::Big(r) => {
                let (n, d) = (r.numerator().clone(), IBig::from(r.denominator().clone()));
                Self::from_rbig(RBig::from_parts_signed(d, n))
            }
        })
    }

    /// `self^e` exactly, or `None` when the result would exceed the size limit or divide by zero.
    pub fn pow(&self, e: &Rational) -> Option<Rational> {
        if self.is_one() && e.is_integer() {
            return Some(Rational::ONE);
        }
        let e = e.to_i64()?;
        if e < 0 {
            return self.recip()?.pow(&Rational::from_int(-e));
        }
        if self.is_zero() || self.is_one() || e == 0 {
            return Some(if e == 0 { Rational::ONE } else { self.clone() });
        }
        if self.is_minus_one() {
            return Some(if e % 2 == 0 {
                Rational::ONE
            } else {
                self.clone()
            });
        }
        let bits = self
            .numerator()
            .unsigned_abs()
            .bit_len()
            .max(self.denominator().bit_len());
        if (bits as u128) * (e as u128) > MAX_POW_BITS as u128 {
            return None;
        }
        Some(Self::from_rbig(self.to_rbig().pow(e as isize)))
    }

    /// `floor(self)` and `self - floor(self)` for a non-integer split of exponents.
    pub fn floor_and_fraction(&self) -> (Rational, Rational) {
        let r = self.to_rbig();
        let floor = Rational::from_ibig(r.floor());
        let frac = self.clone() - floor.clone();
        (floor, frac)
    }

    /// The exact `q`-th root of a non-negative integer, if it is a perfect power.
    pub fn exact_root(n: &UBig, q: &Rational) -> Option<UBig> {
        let q = usize::try_from(q.to_i64()?).ok()?;
        if *n <= UBig::ONE {
            return Some(n.clone());
        }
        if q > n.bit_len() {
            return None;
        }
        let root = n.nth_root(q);
        (root.pow(q) == *n).then_some(root)
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Rational::Small(a, b), Rational::Small(c, d)) => {
                (*a as i128 * *d as i128).cmp(&(*c as i128 * *b as i128))
            }
            _ => self.to_rbig().cmp(&other.to_rbig()),
        }
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::ops::Add for Rational {
    type Output = Rational;
    fn add(self, o: Rational) -> Rational {
        match (&self, &o) {
            (Rational::Small(a, b), Rational::Small(c, d)) => {
                if *b == 1
                    && *d == 1
                    && let Some(s) = a.checked_add(*c)
                {
                    return Rational::Small(s, 1);
                }
                let (a, b, c, d) = (*a as i128, *b as i128, *c as i128, *d as i128);
                match (a.checked_mul(d), c.checked_mul(b)) {
                    (Some(x), Some(y)) => Self::from_i128(x + y, b * d),
                    _ => Self::from_rbig(self.to_rbig() + o.to_rbig()),
                }
            }
            _ => Self::from_rbig(self.to_rbig() + o.to_rbig()),
        }
    }
}

impl std::ops::Sub for Rational {
    type Output = Rational;
    fn sub(self, o: Rational) -> Rational {
        self + (-o)
    }
}

impl std::ops::Mul for Rational {
    type Output = Rational;
    fn mul(self, o: Rational) -> Rational {
        match (&self, &o) {
            (Rational::Small(a, b), Rational::Small(c, d)) => {
                if *b == 1
                    && *d == 1
                    && let Some(p) = a.checked_mul(*c)
                {
                    return Rational::Small(p, 1);
                }
                Self::from_i128(*a as i128 * *c as i128, *b as i128 * *d as i128)
            }
            _ => Self::from_rbig(self.to_rbig() * o.to_rbig()),
        }
    }
}

impl std::ops::Neg for Rational {
    type Output = Rational;
    fn neg(self) -> Rational {
        match self {
            Rational::Small(n, d) if n != i64::MIN => Rational::Small(-n, d),
            other => Self::from_rbig(-other.to_rbig()),
        }
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rational::Small(n, 1) => write!(f, "{n}"),
            Rational::Small(n, d) => write!(f, "{n}/{d}"),
            Rational::Big(r) if r.denominator().is_one() => write!(f, "{}", r.numerator()),
            Rational::Big(r) => write!(f, "{}/{}", r.numerator(), r.denominator()),
        }
    }
}

impl fmt::Debug for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A numeric value in an expression: exact, or a float that came from the input.
///
/// ```
/// use nabla::number::{Number, Rational};
/// let half = Number::Exact(Rational::new(1, 2));
/// assert_eq!(half.clone() + half, Number::Exact(Rational::ONE));
/// assert_eq!(Number::Float(2.5) + Number::Exact(Rational::new(1, 2)), Number::Float(3.0));
/// ```
#[derive(Clone, Debug)]
pub enum Number {
    Exact(Rational),
    Float(f64),
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Exact(a), Number::Exact(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Number {}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Number::Exact(r) => r.hash(state),
            Number::Float(x) => x.to_bits().hash(state),
        }
    }
}

impl Number {
    pub const ZERO: Number = Number::Exact(Rational::ZERO);
    pub const ONE: Number = Number::Exact(Rational::ONE);

    pub fn int(n: i64) -> Number {
        Number::Exact(Rational::from_int(n))
    }

    /// A float, normalised so that `-0.0` and `0.0` are one value.
    pub fn float(x: f64) -> Number {
        Number::Float(if x == 0.0 { 0.0 } else { x })
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Number::Exact(r) => r.to_f64(),
            Number::Float(x) => *x,
        }
    }

    pub fn as_exact(&self) -> Option<&Rational> {
        match self {
            Number::Exact(r) => Some(r),
            Number::Float(_) => None,
        }
    }

    /// Exactly zero (a float `0.0` counts: it annihilates a term just the same).
    pub fn is_zero(&self) -> bool {
        match self {
            Number::Exact(r) => r.is_zero(),
            Number::Float(x) => *x == 0.0,
        }
    }

    /// Exactly one; the float `1.0` is not, so that it keeps the result a float.
    pub fn is_one(&self) -> bool {
        matches!(self, Number::Exact(r) if r.is_one())
    }

    pub fn is_negative(&self) -> bool {
        match self {
            Number::Exact(r) => r.is_negative(),
            Number::Float(x) => *x < 0.0,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, Number::Exact(r) if r.is_integer())
    }

    pub fn is_finite(&self) -> bool {
        match self {
            Number::Exact(_) => true,
            Number::Float(x) => x.is_finite(),
        }
    }

    pub fn abs(&self) -> Number {
        match self {
            Number::Exact(r) => Number::Exact(r.abs()),
            Number::Float(x) => Number::float(x.abs()),
        }
    }

    /// `1 / self`; `None` for an exact zero.
    pub fn recip(&self) -> Option<Number> {
        match self {
            Number::Exact(r) => r.recip().map(Number::Exact),
            Number::Float(x) => Some(Number::float(1.0 / x)),
        }
    }

    /// Compares values; floats and rationals compare numerically.
    pub fn cmp_value(&self, other: &Number) -> Ordering {
        match (self, other) {
            (Number::Exact(a), Number::Exact(b)) => a.cmp(b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl std::ops::Add for Number {
    type Output = Number;
    fn add(self, o: Number) -> Number {
        match (self, o) {
            (Number::Exact(a), Number::Exact(b)) => Number::Exact(a + b),
            (a, b) => Number::float(a.to_f64() + b.to_f64()),
        }
    }
}

impl std::ops::Mul for Number {
    type Output = Number;
    fn mul(self, o: Number) -> Number {
        match (self, o) {
            (Number::Exact(a), Number::Exact(b)) => Number::Exact(a * b),
            (a, b) => Number::float(a.to_f64() * b.to_f64()),
        }
    }
}

impl std::ops::Neg for Number {
    type Output = Number;
    fn neg(self) -> Number {
        match self {
            Number::Exact(a) => Number::Exact(-a),
            Number::Float(x) => Number::float(-x),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Exact(r) => write!(f, "{r}"),
            Number::Float(x) => write!(f, "{}", format_float(*x)),
        }
    }
}

/// Shortest text that reads back as the same float and is still a float (`3.0`, `1e-10`).
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "oo".into() } else { "-oo".into() };
    }
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n, d)
    }

    #[test]
    fn small_arithmetic_reduces() {
        assert_eq!(r(1, 2) + r(1, 3), r(5, 6));
        assert_eq!(r(2, 4), r(1, 2));
        assert_eq!(r(3, -6).to_string(), "-1/2");
        assert_eq!(r(1, 2) * r(2, 1), Rational::ONE);
    }

    #[test]
    fn overflow_promotes_and_demotes() {
        let big = Rational::from_int(i64::MAX) + Rational::from_int(i64::MAX);
        assert!(matches!(big, Rational::Big(_)));
        assert_eq!(big.to_string(), "18446744073709551614");
        let back = big - Rational::from_int(i64::MAX);
        assert_eq!(back, Rational::from_int(i64::MAX));
        assert!(matches!(back, Rational::Small(..)));
        assert_eq!(
            (-Rational::from_int(i64::MIN)).to_string(),
            "9223372036854775808"
        );
    }

    #[test]
    fn powers_are_exact_and_bounded() {
        assert_eq!(r(2, 3).pow(&Rational::from_int(-2)), Some(r(9, 4)));
        assert_eq!(
            Rational::from_int(2)
                .pow(&Rational::from_int(100))
                .unwrap()
                .to_string(),
            "1267650600228229401496703205376"
        );
        let huge = Rational::parse_integer("1000000000000000000000000000000").unwrap();
        assert_eq!(Rational::from_int(2).pow(&huge), None);
        assert_eq!(Rational::from_int(1).pow(&huge), Some(Rational::ONE));
        assert_eq!(Rational::ZERO.pow(&Rational::from_int(-1)), None);
    }

    #[test]
    fn exact_roots() {
        let q = Rational::from_int(3);
        assert_eq!(
            Rational::exact_root(&UBig::from(27u8), &q),
            Some(UBig::from(3u8))
        );
        assert_eq!(Rational::exact_root(&UBig::from(28u8), &q), None);
    }

    #[test]
    fn floats_print_as_floats() {
        assert_eq!(format_float(3.0), "3.0");
        assert_eq!(format_float(2.5), "2.5");
        assert_eq!(format_float(1e-10), "1e-10");
    }

    proptest! {
        #[test]
        fn field_laws(a in -1000i64..1000, b in 1i64..1000, c in -1000i64..1000, d in 1i64..1000) {
            let (x, y) = (r(a, b), r(c, d));
            prop_assert_eq!(x.clone() + y.clone(), y.clone() + x.clone());
            prop_assert_eq!((x.clone() + y.clone()) - y.clone(), x.clone());
            if !y.is_zero() {
                prop_assert_eq!(x.clone() * y.clone() * y.recip().unwrap(), x.clone());
            }
            prop_assert_eq!(x.cmp(&y), (a as f64 / b as f64).partial_cmp(&(c as f64 / d as f64)).unwrap());
        }

        #[test]
        fn big_values_agree_with_i128(a in any::<i64>(), b in any::<i64>()) {
            let sum = Rational::from_int(a) + Rational::from_int(b);
            prop_assert_eq!(sum.to_string(), (a as i128 + b as i128).to_string());
            let prod = Rational::from_int(a) * Rational::from_int(b);
            prop_assert_eq!(prod.to_string(), (a as i128 * b as i128).to_string());
        }
    }
}
