//! vLLM's log timestamps (`02-16 13:27:42.012`), read as the paper's `extract_datetime` reads
//! them: the first `MM-DD HH:MM:SS[.fff]` on the line, through `strptime` with Python's default
//! year 1900 (so `02-29` is an error there too).

use super::ascii::TwoForms;

static DATE_PATTERN: TwoForms = TwoForms::new(r"\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}(?:\.\d{3})?");

const DAYS_IN_MONTH_1900: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Microseconds since 1900-01-01 00:00:00 (the year strptime assumes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// `(self - earlier).total_seconds()` in Python, bit for bit.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e6
    }
}

/// The timestamp text was found but is not a date `strptime` accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp `{text}` is not a valid date: {reason}")]
pub struct BadTimestamp {
    pub text: String,
    pub reason: &'static str,
}

/// The line's timestamp, `Ok(None)` where it has none.
pub fn extract(line: &str) -> Result<Option<Timestamp>, BadTimestamp> {
    let Some(found) = DATE_PATTERN.for_text(line).find(line) else {
        return Ok(None);
    };
    convert(found.as_str()).map(Some)
}

fn convert(text: &str) -> Result<Timestamp, BadTimestamp> {
    let bad = |reason| BadTimestamp {
        text: text.to_string(),
        reason,
    };
    let digits = |s: &str| -> Result<u32, BadTimestamp> {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad("not a number"))
        } else {
            Err(bad("non-ASCII digits"))
        }
    };
    // The regex guarantees the shape: MM-DD<ws>HH:MM:SS[.fff]
    let (date, rest) = text.split_at(5);
    let time = rest.trim_start();
    let month = digits(&date[0..2])?;
    let day = digits(&date[3..5])?;
    let (hms, millis) = match time.split_once('.') {
        Some((hms, frac)) => (hms, digits(frac)?),
        None => (time, 0),
    };
    let mut parts = hms.split(':');
    let mut next = || parts.next().ok_or_else(|| bad("malformed time"));
    let (hour, minute, second) = (digits(next()?)?, digits(next()?)?, digits(next()?)?);

    if !(1..=12).contains(&month) {
        return Err(bad("month must be 01..12"));
    }
    if day == 0 || day > DAYS_IN_MONTH_1900[month as usize - 1] {
        return Err(bad(
            "day is out of range for month (the year is taken as 1900)",
        ));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad("time of day out of range"));
    }
    let day_of_year: u32 = DAYS_IN_MONTH_1900[..month as usize - 1].iter().sum::<u32>() + day - 1;
    let seconds = ((day_of_year * 24 + hour) * 60 + minute) * 60 + second;
    Ok(Timestamp(seconds as i64 * 1_000_000 + millis as i64 * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vllm_timestamps() {
        let a = extract("DEBUG 02-16 13:27:42.012 [__init__.py:28] No plugins")
            .unwrap()
            .unwrap();
        let b = extract("INFO 02-16 13:27:42.046 [__init__.py:241] detected platform")
            .unwrap()
            .unwrap();
        assert_eq!(b.seconds_since(a), 0.034);
        let c = extract("x 02-17 00:00:00 y").unwrap().unwrap();
        assert_eq!(c.seconds_since(a), 37937.988);
    }

    #[test]
    fn prefixed_and_missing() {
        let line = "\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:49.234 [core.py:636] x";
        assert!(extract(line).unwrap().is_some());
        assert_eq!(
            extract("initialize_engine took 26.18 seconds").unwrap(),
            None
        );
    }

    #[test]
    fn rejects_what_strptime_rejects() {
        assert!(extract("02-29 10:00:00.000").is_err());
        assert!(extract("13-01 10:00:00.000").is_err());
        assert!(extract("01-01 24:00:00.000").is_err());
        assert!(extract("01-01 10:00:60.000").is_err());
        assert!(extract("12-31 23:59:59.999").unwrap().is_some());
    }
}
