//! When a time-triggered rotation happens, and what time its file is named after.

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

/// A time trigger. Periods are aligned to the clock (sub-day periods restart at each
/// midnight; day and week periods count from the Unix epoch), so that several processes
/// writing one file agree on when a period ends.
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
        let unit = match self.when {
            When::Second => 1,
            When::Minute => 60,
            When::Hour => 3600,
            When::Day | When::Midnight | When::Weekday(_) => return self.day_period(t, n),
        };
        let length = unit * n;
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

    fn day_period(&self, t: i64, n: i64) -> (i64, i64) {
        let accepts = |day: i64| match self.when {
            When::Weekday(w) => {
                (day + 3).rem_euclid(7) == i64::from(w) && day.div_euclid(7).rem_euclid(n) == 0
            }
            _ => day.rem_euclid(n) == 0,
        };
        let today = civil::day_of(t, self.zone);
        let span = 7 * n + 2;
        let mut start = None;
        let mut end = None;
        for day in today - span..=today + span {
            if !accepts(day) {
                continue;
            }
            let at = civil::instant(day, self.at, self.zone);
            if at <= t {
                start = Some(at);
            } else if end.is_none() {
                end = Some(at);
            }
        }
        let start = start.unwrap_or(t);
        (start, end.unwrap_or(start + 86_400 * n).max(t + 1))
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
}
