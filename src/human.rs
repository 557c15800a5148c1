//! Numbers and words for people, in one place: sizes and plurals as every message and
//! report writes them.

/// Bytes as MiB with one decimal: `12.0 MiB`.
pub fn mib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let m = bytes as f64 / 1_048_576.0;
    format!("{m:.1} MiB")
}

/// Bytes as KiB with one decimal: `84.1 KiB`.
pub fn kib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let k = bytes as f64 / 1024.0;
    format!("{k:.1} KiB")
}

/// `s` unless there is exactly one: `format!("{n} task{}", plural(n))`.
pub fn plural<N: TryInto<u64>>(n: N) -> &'static str {
    if n.try_into().is_ok_and(|n| n == 1) {
        ""
    } else {
        "s"
    }
}

/// Seconds since the Unix epoch as `2026-12-02T05:14:13Z`.
pub fn unix_time(secs: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_plurals_read_naturally() {
        assert_eq!(mib(0), "0.0 MiB");
        assert_eq!(kib(86_118), "84.1 KiB");
        assert_eq!(mib(12 * 1_048_576 + 52_429), "12.1 MiB");
        assert_eq!((plural(0u32), plural(1usize), plural(2u64)), ("s", "", "s"));
    }
}
