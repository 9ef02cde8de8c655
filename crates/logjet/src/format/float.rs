//! Floats as the shortest decimal that reads back to the same value (Python's `repr`,
//! Ryū's output), with a fast path for the values logs are full of: latencies, ratios
//! and amounts with a few decimals.
//!
//! A value that is exactly the nearest double to `n / 10^k` for a small `k` is found with
//! a few multiplications instead of Ryū's general search, and written as the integer `n`
//! with a decimal point put in.

use crate::bytes::append;

const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Shortest round-tripping decimal; `NaN`, `inf` and `-inf` spelled out.
pub(crate) fn write_float(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        if !write_short_decimal(out, v) {
            out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
        }
    } else if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v > 0.0 {
        out.extend_from_slice(b"inf");
    } else {
        out.extend_from_slice(b"-inf");
    }
}

/// Writes `v` when it has at most 9 decimals and a magnitude Ryū writes without an
/// exponent; returns `false` (writing nothing) otherwise.
///
/// Why the result is Ryū's: for the smallest `k` such that `round(v * 10^k) / 10^k`
/// (one correctly rounded division of exact operands, as parsing the decimal does) gives
/// `v` back, `n = round(v * 10^k)` has the fewest digits of any decimal that reads back
/// as `v`. With `|v * 10^k| < 2^50` the product is off by at most 1/16, less than the
/// distance between two decimals that could both read back as `v`, so `n` is also the
/// one closest to `v`, which is Ryū's tie-break.
fn write_short_decimal(out: &mut Vec<u8>, v: f64) -> bool {
    const LIMIT: f64 = (1u64 << 50) as f64;
    let magnitude = v.abs();
    if !(1e-3..1e15).contains(&magnitude) {
        return false;
    }
    for (k, &scale) in POW10.iter().enumerate() {
        let scaled = magnitude * scale;
        if scaled >= LIMIT {
            return false;
        }
        // `scaled.round()` without the call to libm: below 2^50, the truncation and the
        // fraction it leaves are exact, and a fraction of one half rounds up. Signed
        // conversions are single instructions on x86-64, unsigned ones are not.
        let whole = scaled as i64;
        let n = whole + i64::from(scaled - whole as f64 >= 0.5);
        if n as f64 / scale == magnitude {
            if v < 0.0 {
                out.push(b'-');
            }
            write_scaled(out, n as u64, k);
            return true;
        }
    }
    false
}

/// Writes `n / 10^k` in fixed notation, always with a fractional part (`3.0`, `0.25`).
fn write_scaled(out: &mut Vec<u8>, n: u64, k: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    if k == 0 {
        append(out, digits);
        append(out, b".0");
    } else if digits.len() > k {
        let (int, frac) = digits.split_at(digits.len() - k);
        append(out, int);
        out.push(b'.');
        append(out, frac);
    } else {
        append(out, b"0.");
        out.resize(out.len() + k - digits.len(), b'0');
        append(out, digits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fast(v: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn ryu(v: f64) -> String {
        ryu::Buffer::new().format(v).to_owned()
    }

    #[test]
    fn common_values_and_edges_match_ryu() {
        let values = [
            0.25,
            249.75,
            0.1,
            0.2,
            0.3,
            1.0,
            3.0,
            -2.5,
            0.001,
            0.0015,
            1e-3,
            9.999e-4,
            123.456,
            1e14,
            99_999_999_999_999.9,
            1e15,
            0.1 + 0.2,
            1.0 / 3.0,
            2.0f64.sqrt(),
            0.0,
            -0.0,
            1e-7,
            1e20,
            5e-324,
            f64::MAX,
            4503599627370495.5,
            1_125_899_906_842_624.0,
        ];
        for v in values {
            assert_eq!(fast(v), ryu(v), "{v:e}");
        }
        assert_eq!(fast(f64::NAN), "NaN");
        assert_eq!(fast(f64::NEG_INFINITY), "-inf");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn decimals_match_ryu(n in any::<i64>(), k in 0u32..12) {
            let v = n as f64 / 10f64.powi(k as i32);
            prop_assert_eq!(fast(v), ryu(v));
        }

        #[test]
        fn small_decimals_match_ryu(n in -10_000_000i64..10_000_000, k in 0u32..10) {
            let v = n as f64 / 10f64.powi(k as i32);
            prop_assert_eq!(fast(v), ryu(v));
        }

        #[test]
        fn any_double_matches_ryu(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            prop_assert_eq!(fast(v), ryu(v));
        }

        #[test]
        fn doubles_in_the_fast_range_match_ryu(v in 1e-3f64..1e15) {
            prop_assert_eq!(fast(v), ryu(v));
            prop_assert_eq!(fast(-v), ryu(-v));
        }
    }
}
