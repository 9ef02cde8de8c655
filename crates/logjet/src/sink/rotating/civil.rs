//! Civil dates and times in UTC or the local zone: what rotation schedules and file
//! names are computed in. Instants are whole seconds since the Unix epoch.

use std::sync::Once;

/// Which clock rotation times and file names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Zone {
    /// Coordinated Universal Time.
    Utc,
    /// The process's local zone (`TZ`, else `/etc/localtime`), daylight saving included.
    Local,
}

/// Broken-down time of day on a calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (years counted from March, so
/// the leap day comes last).
pub(super) fn days_from_date(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01.
pub(super) fn date_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

extern "C" {
    /// POSIX `tzset`, which the `libc` crate declares only for Windows.
    fn tzset();
}

fn load_zone() {
    static TZSET: Once = Once::new();
    // SAFETY: tzset takes no arguments; Once keeps it from racing itself.
    TZSET.call_once(|| unsafe { tzset() });
}

/// The civil time of instant `secs` in `zone`.
pub(super) fn civil(secs: i64, zone: Zone) -> Civil {
    if zone == Zone::Local {
        if let Some(civil) = local(secs) {
            return civil;
        }
    }
    let days = secs.div_euclid(86_400);
    let second_of_day = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = date_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
    }
}

fn local(secs: i64) -> Option<Civil> {
    load_zone();
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: all-zero bytes are a valid `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r writes only into `tm`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    Some(Civil {
        year: i64::from(tm.tm_year) + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
    })
}

/// The day number (days since 1970-01-01) of the civil date of `secs` in `zone`.
pub(super) fn day_of(secs: i64, zone: Zone) -> i64 {
    let c = civil(secs, zone);
    days_from_date(c.year, c.month, c.day)
}

/// The instant at `second_of_day` on day number `days` in `zone`. A local time that a
/// daylight-saving change skips resolves to the instant the clock jumps past it; a
/// repeated one to one of its two instants.
pub(super) fn instant(days: i64, second_of_day: u32, zone: Zone) -> i64 {
    let utc = days * 86_400 + i64::from(second_of_day);
    if zone == Zone::Utc {
        return utc;
    }
    load_zone();
    let (year, month, day) = date_from_days(days);
    // SAFETY: all-zero bytes are a valid `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    tm.tm_year = (year - 1900) as libc::c_int;
    tm.tm_mon = month as libc::c_int - 1;
    tm.tm_mday = day as libc::c_int;
    tm.tm_hour = (second_of_day / 3600) as libc::c_int;
    tm.tm_min = (second_of_day / 60 % 60) as libc::c_int;
    tm.tm_sec = (second_of_day % 60) as libc::c_int;
    tm.tm_isdst = -1;
    // SAFETY: `tm` is a valid, initialized struct that mktime may normalize in place.
    let t = unsafe { libc::mktime(&mut tm) };
    if t == -1 {
        utc
    } else {
        #[allow(clippy::useless_conversion)] // time_t is narrower on some targets
        i64::from(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for days in -800_000..800_000 {
            let (y, m, d) = date_from_days(days);
            assert_eq!(days_from_date(y, m, d), days);
        }
        assert_eq!(date_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_date(2026, 11, 21), 20_778);
    }

    #[test]
    fn utc_civil() {
        // 2024-02-29T23:59:59Z
        let c = civil(1_709_251_199, Zone::Utc);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2024, 2, 29, 23, 59, 59)
        );
        assert_eq!(
            instant(day_of(1_709_251_199, Zone::Utc), 0, Zone::Utc),
            1_709_164_800
        );
    }
}
