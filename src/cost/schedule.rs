//! How often a schedule expression runs a job in a month: `rate(…)` exactly, `cron(…)` by
//! counting the values of each field (a month of 730 hours: 30.42 days, 4.35 weeks),
//! `at(…)` once and never again.
//! https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html

use super::HOURS_A_MONTH;

/// Runs a month; `None` for an expression this does not read.
pub fn runs_a_month(expression: &str) -> Option<f64> {
    let inner = |prefix: &str| expression.strip_prefix(prefix)?.strip_suffix(')').map(str::trim);
    if let Some(rate) = inner("rate(") {
        return rate_runs(rate);
    }
    if let Some(cron) = inner("cron(") {
        return cron_runs(cron);
    }
    inner("at(").map(|_| 0.0)
}

fn rate_runs(rate: &str) -> Option<f64> {
    let (n, unit) = rate.split_once(' ')?;
    let n: f64 = n.trim().parse().ok().filter(|n: &f64| *n > 0.0)?;
    let minutes = match unit.trim().trim_end_matches('s') {
        "minute" => 1.0,
        "hour" => 60.0,
        "day" => 1440.0,
        _ => return None,
    };
    Some(HOURS_A_MONTH * 60.0 / (n * minutes))
}

/// `minutes hours day-of-month month day-of-week year`.
fn cron_runs(cron: &str) -> Option<f64> {
    let f: Vec<&str> = cron.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, _year] = f.as_slice() else { return None };
    let any = |s: &str| s == "*" || s == "?";
    let days = HOURS_A_MONTH / 24.0;
    let days = match (any(dom), any(dow)) {
        (true, true) => days,
        (_, false) => count(dow, 1, 7, &DAYS)? * HOURS_A_MONTH / 168.0,
        (false, true) => count(dom, 1, 31, &[])?,
    };
    let months = count(month, 1, 12, &MONTHS)? / 12.0;
    Some(count(minutes, 0, 59, &[])? * count(hours, 0, 23, &[])? * days * months)
}

const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// How many values a cron field takes in `lo..=hi`: `*`, lists, ranges, steps, names.
fn count(field: &str, lo: u32, hi: u32, names: &[&str]) -> Option<f64> {
    let value = |s: &str| -> Option<u32> {
        let upper = s.to_ascii_uppercase();
        let named = names.iter().position(|n| *n == upper).and_then(|i| u32::try_from(i).ok()).map(|i| i + lo);
        named.or_else(|| s.parse().ok())
    };
    let mut n = 0.0;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi),
            r if r.contains('-') => {
                let (a, b) = r.split_once('-')?;
                (value(a)?, value(b)?)
            }
            // `L`, `W`, `#`: one day.
            r if r.contains(['L', 'W', '#']) => (lo, lo),
            r => {
                let a = value(r)?;
                (a, if part.contains('/') { hi } else { a })
            }
        };
        n += f64::from(b.checked_sub(a)? / step + 1);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::runs_a_month;

    #[test]
    fn rates_and_crons_count_their_runs_in_a_730_hour_month() {
        assert_eq!(runs_a_month("rate(1 hour)"), Some(730.0));
        assert_eq!(runs_a_month("rate(30 minutes)"), Some(1460.0));
        assert_eq!(runs_a_month("rate(1 day)"), Some(730.0 / 24.0));
        // Every day at 02:00.
        assert_eq!(runs_a_month("cron(0 2 * * ? *)"), Some(730.0 / 24.0));
        // Weekdays at 09:00 and 17:00: 5 days × 2 × 730/168 weeks.
        assert_eq!(runs_a_month("cron(0 9,17 ? * MON-FRI *)"), Some(10.0 * 730.0 / 168.0));
        // Every 15 minutes: 4 an hour, 24 hours, every day.
        assert_eq!(runs_a_month("cron(0/15 * * * ? *)"), Some(4.0 * 24.0 * 730.0 / 24.0));
        // On the 1st of each month at midnight.
        assert_eq!(runs_a_month("cron(0 0 1 * ? *)"), Some(1.0));
        // January only: one month in twelve.
        assert_eq!(runs_a_month("cron(0 0 1 JAN ? *)"), Some(1.0 / 12.0));
        assert_eq!(runs_a_month("at(2027-01-01T00:00:00)"), Some(0.0));
        assert_eq!(runs_a_month("every tuesday"), None);
    }
}
