//! When a time-triggered rotation happens, and what time its file is named after.

use std::fmt;

use super::civil::{self, Zone};

/// What a time-based rotation counts, as Python's `TimedRotatingFileHandler(when=...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// `"S"`: every `interval` seconds.
    Second,
    /// `"M"`: every `interval` minutes.
    Minute,
    /// `"H"`: every `interval` hours.
    Hour,
    /// `"D"`: every `interval` days, at midnight (or the `at_time`).
    Day,
    /// `"midnight"`: at midnight (or the `at_time`), every `interval` days.
    Midnight,
    /// `"W0"`..`"W6"`: on a weekday (0 = Monday) at midnight (or the `at_time`), every
    /// `interval` weeks.
    Weekday(u8),
}

impl When {
    /// Parses Python's spelling: `S`, `M`, `H`, `D`, `midnight`, `W0`..`W6` (any case).
    pub fn parse(text: &str) -> Option<When> {
        let upper = text.trim().to_ascii_uppercase();
        Some(match upper.as_str() {
            "S" => When::Second,
            "M" => When::Minute,
            "H" => When::Hour,
            "D" => When::Day,
            "MIDNIGHT" => When::Midnight,
            _ => {
                let day = upper.strip_prefix('W')?;
                match day.as_bytes() {
                    [d @ b'0'..=b'6'] => When::Weekday(d - b'0'),
                    _ => return None,
                }
            }
        })
    }

    /// Python's spelling, as [`When::parse`] reads it (`midnight` in lower case).
    #[cfg(feature = "config")]
    pub(crate) fn python_name(self) -> &'static str {
        const WEEKDAYS: [&str; 7] = ["W0", "W1", "W2", "W3", "W4", "W5", "W6"];
        match self {
            When::Second => "S",
            When::Minute => "M",
            When::Hour => "H",
            When::Day => "D",
            When::Midnight => "midnight",
            When::Weekday(d) => WEEKDAYS[usize::from(d.min(6))],
        }
    }

    /// The length of one unit in seconds, and the unit's name in the plural.
    pub(crate) fn unit(self) -> (u64, &'static str) {
        match self {
            When::Second => (1, "seconds"),
            When::Minute => (60, "minutes"),
            When::Hour => (3600, "hours"),
            When::Day | When::Midnight => (86_400, "days"),
            When::Weekday(_) => (7 * 86_400, "weeks"),
        }
    }

    /// The strftime-style suffix Python gives files rotated on this schedule.
    pub(super) fn suffix_format(self) -> &'static str {
        match self {
            When::Second => "%Y-%m-%d_%H-%M-%S",
            When::Minute => "%Y-%m-%d_%H-%M",
            When::Hour => "%Y-%m-%d_%H",
            When::Day | When::Midnight | When::Weekday(_) => "%Y-%m-%d",
        }
    }
}

/// A time trigger. Periods are aligned to the clock (sub-day periods, at most a day
/// long, restart at each midnight; day and week periods count from the Unix epoch), so
/// that several processes writing one file agree on when a period ends.
#[derive(Clone, Copy, Debug)]
pub(super) struct Schedule {
    pub when: When,
    pub interval: u32,
    pub zone: Zone,
    /// Second of the day that day and week periods start at.
    pub at: u32,
}

impl Schedule {
    /// `(start, end)` of the period holding instant `t`: `start <= t < end`.
    pub fn period(&self, t: i64) -> (i64, i64) {
        let n = i64::from(self.interval.max(1));
        if let When::Day | When::Midnight | When::Weekday(_) = self.when {
            return self.day_period(t, n);
        }
        let length = self.when.unit().0 as i64 * n;
        let day = civil::day_of(t, self.zone);
        let mut day_start = civil::instant(day, 0, self.zone);
        let mut next_day = civil::instant(day + 1, 0, self.zone);
        if t < day_start {
            next_day = day_start;
            day_start = civil::instant(day - 1, 0, self.zone);
        }
        let start = day_start + (t - day_start) / length * length;
        (start, (start + length).min(next_day).max(start + 1))
    }

    /// Day and week periods: they start on the days `d` with `d ≡ offset (mod cycle)`
    /// (days since the epoch), at `at`. Found arithmetically, so any interval is cheap.
    fn day_period(&self, t: i64, n: i64) -> (i64, i64) {
        let (cycle, offset) = match self.when {
            // Day 0 (1970-01-01) was a Thursday, weekday 3 counting Monday as 0.
            When::Weekday(w) => (7 * n, (i64::from(w) - 3).rem_euclid(7)),
            _ => (n, 0),
        };
        let today = civil::day_of(t, self.zone);
        let mut day = today - (today - offset).rem_euclid(cycle);
        // `at` later in the day than `t` (or a daylight-saving oddity): an earlier start.
        while civil::instant(day, self.at, self.zone) > t {
            day -= cycle;
        }
        let mut next = day + cycle;
        while civil::instant(next, self.at, self.zone) <= t {
            next += cycle;
        }
        let start = civil::instant(day, self.at, self.zone);
        (start, civil::instant(next, self.at, self.zone).max(t + 1))
    }
}

/// Longest period a schedule may have: about a century. Longer ones reach dates the
/// calendar routines do not cover, and no log waits that long to rotate.
const MAX_PERIOD_DAYS: u64 = 36_525;

/// Why `interval` units of `when` make no period the schedule supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntervalError {
    Zero,
    /// Units shorter than a day adding up to more than a day. Sub-day periods are
    /// aligned to the clock within each day (so that processes agree on them); a longer
    /// one would be cut at every midnight anyway.
    LongerThanADay {
        when: When,
        interval: u32,
    },
    /// Longer than [`MAX_PERIOD_DAYS`].
    TooLong {
        when: When,
        interval: u32,
    },
}

impl fmt::Display for IntervalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IntervalError::Zero => write!(f, "rotation interval must be at least 1"),
            IntervalError::LongerThanADay { when, interval } => write!(
                f,
                "rotation every {interval} {} is longer than a day; rotate by days \
                 (`D` or `midnight` with an interval) instead",
                when.unit().1
            ),
            IntervalError::TooLong { when, interval } => write!(
                f,
                "rotation every {interval} {} is longer than {MAX_PERIOD_DAYS} days",
                when.unit().1
            ),
        }
    }
}

/// Checks that `interval` units of `when` make a period the schedule supports.
pub(crate) fn check_interval(when: When, interval: u32) -> Result<(), IntervalError> {
    let (unit, _) = when.unit();
    let total = u64::from(interval) * unit;
    if interval == 0 {
        Err(IntervalError::Zero)
    } else if unit < 86_400 && total > 86_400 {
        Err(IntervalError::LongerThanADay { when, interval })
    } else if total > MAX_PERIOD_DAYS * 86_400 {
        Err(IntervalError::TooLong { when, interval })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(when: When, interval: u32) -> Schedule {
        Schedule {
            when,
            interval,
            zone: Zone::Utc,
            at: 0,
        }
    }

    #[test]
    fn parses_python_spellings() {
        assert_eq!(When::parse("midnight"), Some(When::Midnight));
        assert_eq!(When::parse("w6"), Some(When::Weekday(6)));
        assert_eq!(When::parse("W7"), None);
        assert_eq!(When::parse("x"), None);
    }

    #[cfg(feature = "config")]
    #[test]
    fn python_names_read_back_as_the_same_schedule() {
        let every = [
            When::Second,
            When::Minute,
            When::Hour,
            When::Day,
            When::Midnight,
        ];
        for when in every.into_iter().chain((0..7).map(When::Weekday)) {
            assert_eq!(When::parse(when.python_name()), Some(when), "{when:?}");
        }
    }

    #[test]
    fn utc_periods() {
        // 2026-11-21T13:45:10Z, a Saturday.
        let t = 1_795_219_200 + 13 * 3600 + 45 * 60 + 10;
        let day = 1_795_219_200;
        assert_eq!(
            utc(When::Hour, 1).period(t),
            (day + 13 * 3600, day + 14 * 3600)
        );
        assert_eq!(
            utc(When::Hour, 6).period(t),
            (day + 12 * 3600, day + 18 * 3600)
        );
        assert_eq!(utc(When::Midnight, 1).period(t), (day, day + 86_400));
        // Monday 2026-11-23 and Monday 2026-11-16.
        assert_eq!(
            utc(When::Weekday(0), 1).period(t),
            (day - 5 * 86_400, day + 2 * 86_400)
        );
        let at = Schedule {
            at: 6 * 3600,
            ..utc(When::Midnight, 1)
        };
        assert_eq!(at.period(day + 3600), (day - 18 * 3600, day + 6 * 3600));
    }

    /// The search the arithmetic replaced: the latest accepted day at or before `t`.
    fn searched(s: &Schedule, t: i64) -> (i64, i64) {
        let n = i64::from(s.interval);
        let accepts = |day: i64| match s.when {
            When::Weekday(w) => {
                (day + 3).rem_euclid(7) == i64::from(w) && day.div_euclid(7).rem_euclid(n) == 0
            }
            _ => day.rem_euclid(n) == 0,
        };
        let today = civil::day_of(t, s.zone);
        let span = 7 * n + 2;
        let mut start = None;
        let mut end = None;
        for day in today - span..=today + span {
            if !accepts(day) {
                continue;
            }
            let at = civil::instant(day, s.at, s.zone);
            if at <= t {
                start = Some(at);
            } else if end.is_none() {
                end = Some(at);
            }
        }
        (start.unwrap(), end.unwrap())
    }

    #[test]
    fn day_periods_match_a_search() {
        let base = 1_795_219_200 + 13 * 3600; // 2026-11-21T13:00Z
        for when in [
            When::Day,
            When::Midnight,
            When::Weekday(0),
            When::Weekday(5),
        ] {
            for interval in [1, 2, 3, 7, 10] {
                for at in [0, 6 * 3600, 20 * 3600] {
                    let s = Schedule {
                        at,
                        ..utc(when, interval)
                    };
                    for step in 0..40 {
                        let t = base + step * 37_771 - 20 * 86_400;
                        assert_eq!(s.period(t), searched(&s, t), "{when:?}/{interval}/{at}/{t}");
                    }
                }
            }
        }
    }

    #[test]
    fn long_intervals_are_cheap_or_refused() {
        // A century of days, computed at once.
        let s = utc(When::Weekday(2), 5_000);
        let t = 1_795_219_200;
        let (start, end) = s.period(t);
        assert!(start <= t && t < end && end - start == 5_000 * 7 * 86_400);
        assert!(check_interval(When::Weekday(2), 5_217).is_ok());
        assert!(check_interval(When::Weekday(2), 5_218).is_err());
        assert!(check_interval(When::Day, u32::MAX).is_err());
        assert!(check_interval(When::Hour, 24).is_ok());
        assert!(check_interval(When::Hour, 25).is_err());
        assert!(check_interval(When::Second, 86_401).is_err());
        assert!(check_interval(When::Minute, 0).is_err());
    }
}
