//! Small pure checks on names, formats and durations, shared by the validation rules.
//! Each returns a message for the caller to attach to a path.

use std::time::Duration;

use crate::model;

/// Lowercase letters, digits and single dashes; starts with a letter, ends with a letter or digit.
pub fn dns_label(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() || s.len() > max {
        return Err(format!("must be 1 to {max} characters long (it is {})", s.len()));
    }
    let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let starts = s.starts_with(|c: char| c.is_ascii_lowercase());
    let ends = s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok_chars || !starts || !ends || s.contains("--") {
        return Err("must be lowercase letters, digits and single dashes, starting with a letter".into());
    }
    Ok(())
}

/// An S3 bucket name: 3–63 lowercase letters, digits, dots and dashes, starting and ending
/// with a letter or digit, not shaped like an IP address.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
pub fn bucket_name(s: &str) -> Result<(), String> {
    if !(3..=63).contains(&s.len()) {
        return Err(format!("it must be 3 to 63 characters long (it is {})", s.len()));
    }
    let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let edges = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !ok_chars || !s.starts_with(edges) || !s.ends_with(edges) {
        return Err("use lowercase letters, digits, dots and dashes, starting and ending with a letter or digit".into());
    }
    if s.contains("..") || s.contains(".-") || s.contains("-.") || s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("no two dots or a dot beside a dash in a row, and not an IP address".into());
    }
    // Prefixes and suffixes S3 keeps for its own names (access points, Object Lambda, directory buckets).
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    if ["xn--", "sthree-", "amzn-s3-demo-"].iter().any(|p| s.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3"].iter().any(|x| s.ends_with(x))
    {
        return Err("S3 keeps names starting xn--, sthree- or amzn-s3-demo- and ending -s3alias, --ol-s3, .mrap or --x-s3".into());
    }
    Ok(())
}

/// A duration such as `30s`, `5m`, `1h30m`, in whole seconds, within `min..=max`.
pub fn duration(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|_| format!("`{s}` is not a duration; write it like 30s, 5m or 1h"))?;
    if d.subsec_nanos() != 0 {
        return Err(format!("`{s}` must be whole seconds"));
    }
    if d < min || d > max {
        return Err(format!(
            "{s} is out of range: must be between {} and {}",
            humantime::format_duration(min),
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

/// A schedule as AWS takes it (EventBridge Scheduler, Application Auto Scaling):
/// `cron(minutes hours day-of-month month day-of-week year)` with `?` in one of the two day
/// fields, `rate(N unit)` or `at(yyyy-mm-ddThh:mm:ss)`.
pub fn schedule_expression(s: &str) -> Result<(), String> {
    let inner = |prefix: &str| s.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
    if let Some(body) = inner("cron(") {
        return cron(body).map_err(|m| format!("`{s}`: {m}"));
    }
    if let Some(body) = inner("rate(") {
        return rate(body).map_err(|m| format!("`{s}`: {m}"));
    }
    if let Some(body) = inner("at(") {
        let ok = body.len() == 19
            && body.char_indices().all(|(i, c)| match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                _ => c.is_ascii_digit(),
            });
        return if ok { Ok(()) } else { Err(format!("`{s}`: write a one-time schedule as at(2026-12-24T18:00:00)")) };
    }
    Err(format!("`{s}` is not a schedule: write cron(0 8 ? * MON-FRI *), rate(5 minutes) or at(2026-12-24T18:00:00)"))
}

fn cron(body: &str) -> Result<(), String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, day, month, weekday, year] = fields.as_slice() else {
        return Err(format!("a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {}", fields.len()));
    };
    if (*day == "?") == (*weekday == "?") {
        return Err("one of day-of-month and day-of-week must be `?` (and only one)".into());
    }
    let allowed = |f: &str, extra: &str| f.chars().all(|c| c.is_ascii_alphanumeric() || ",-*/".contains(c) || extra.contains(c));
    let checks = [
        (minutes, "minutes", ""),
        (hours, "hours", ""),
        (day, "day-of-month", "?LW"),
        (month, "month", ""),
        (weekday, "day-of-week", "?L#"),
        (year, "year", ""),
    ];
    for (f, what, extra) in checks {
        if f.is_empty() || !allowed(f, extra) {
            return Err(format!("`{f}` is not a {what} field"));
        }
    }
    Ok(())
}

fn rate(body: &str) -> Result<(), String> {
    let (n, unit) = body.split_once(' ').ok_or("write a rate as rate(5 minutes)")?;
    let n: u32 = n.parse().map_err(|_| format!("`{n}` is not a whole number"))?;
    let units: &[&str] = if n == 1 { &["minute", "hour", "day"] } else { &["minutes", "hours", "days"] };
    match (n, units.contains(&unit)) {
        (0, _) => Err("a rate of 0 never runs".into()),
        (_, true) => Ok(()),
        _ => Err(format!("`{unit}` is not a unit here: use {}", units.join(", "))),
    }
}

/// An IANA time zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`).
pub fn timezone(s: &str) -> Result<(), String> {
    match s.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("`{s}` is not a time zone of the IANA database: use a name such as UTC or Europe/Berlin")),
    }
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// An environment variable name.
pub fn env_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_') && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why an image's host is refused, when it is written like an ECR registry's but is not one
/// (`model::EcrHost`): the account's ECR login never goes there, and a spec that names it is
/// a typo or a trap.
pub fn ecr_look_alike(uri: &str) -> Option<String> {
    let host = uri.split_once('/')?.0;
    (model::EcrHost::of(host) == model::EcrHost::LookAlike).then(|| {
        format!("`{host}` looks like an ECR registry but is not one, and ecship never sends it the ECR login: {}", model::ECR_HOSTS)
    })
}

/// ALB path-pattern characters: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#path-conditions
pub fn alb_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("must start with `/`".into());
    }
    if s.len() > 128 {
        return Err(format!("is {} characters; the load balancer allows 128", s.len()));
    }
    let bad: String = s.chars().filter(|c| !(c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(*c))).collect();
    if !bad.is_empty() {
        return Err(format!("has characters the load balancer does not allow in a path pattern: {bad:?}"));
    }
    Ok(())
}

pub fn alb_host(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 128 {
        return Err("must be 1 to 128 characters".into());
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || "-.*?".contains(c)) {
        return Err("may hold only letters, digits, `-`, `.`, `*` and `?`".into());
    }
    Ok(())
}

/// Whether a request path matches an ALB path pattern (`*` any run of characters, `?` one).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Whether every path `inner` matches is also matched by `outer` (ALB patterns: `*` any run
/// of characters, `?` exactly one). `outer`'s `*` covers any run of `inner`'s tokens, its `?`
/// one literal or `?`, its literals only the same literal.
pub fn pattern_covers(outer: &str, inner: &str) -> bool {
    let (a, b) = (outer.as_bytes(), inner.as_bytes());
    // covers[i * w + j]: a[i..] covers b[j..] (paths are ASCII: checked by `alb_path`).
    let w = b.len() + 1;
    let mut covers = vec![false; (a.len() + 1) * w];
    covers[a.len() * w + b.len()] = true;
    for i in (0..a.len()).rev() {
        for j in (0..=b.len()).rev() {
            covers[i * w + j] = match a[i] {
                b'*' => covers[(i + 1) * w + j] || (j < b.len() && covers[i * w + j + 1]),
                b'?' => j < b.len() && b[j] != b'*' && covers[(i + 1) * w + j + 1],
                c => j < b.len() && b[j] == c && covers[(i + 1) * w + j + 1],
            };
        }
    }
    covers[0]
}

/// `200`, `200-299`, `200,202`: the target-group matcher syntax, within 200–499.
pub fn http_codes(s: &str) -> bool {
    let code = |c: &str| c.len() == 3 && c.parse::<u16>().is_ok_and(|n| (200..=499).contains(&n));
    !s.is_empty()
        && s.split(',').all(|part| match part.split_once('-') {
            Some((a, b)) => code(a) && code(b) && a <= b,
            None => code(part),
        })
}

pub fn aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|hex| (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
}

pub fn acm_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("certificate/")
}

/// An IAM managed policy's ARN: `arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME`, the account
/// 12 digits or `aws` (AWS's own policies).
pub fn policy_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let account = parts.get(4).is_some_and(|a| *a == "aws" || (a.len() == 12 && a.chars().all(|c| c.is_ascii_digit())));
    let name = parts.get(5).and_then(|r| r.strip_prefix("policy/")).and_then(|p| p.rsplit('/').next());
    parts.len() == 6
        && parts[0] == "arn"
        && matches!(parts[1], "aws" | "aws-cn" | "aws-us-gov")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && account
        && name.is_some_and(|n| (1..=128).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)))
}

/// A docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn docker_tag(s: &str) -> bool {
    let mut c = s.chars();
    s.len() <= 128
        && matches!(c.next(), Some(f) if f.is_ascii_alphanumeric() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// The tag of an image reference: `Some("v1")`, `None` when it has none, or the digest form.
pub enum ImageTag<'a> {
    Tag(&'a str),
    Digest,
    Missing,
}

pub fn image_tag(uri: &str) -> ImageTag<'_> {
    if uri.contains("@sha256:") {
        return ImageTag::Digest;
    }
    let last = uri.rsplit('/').next().unwrap_or(uri);
    match last.split_once(':') {
        Some((_, tag)) => ImageTag::Tag(tag),
        None => ImageTag::Missing,
    }
}

/// An image reference: registry/repository path in lowercase, then a tag or digest.
pub fn image_uri(uri: &str) -> Result<(), String> {
    let name = uri.split('@').next().unwrap_or(uri);
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => {
            if !docker_tag(tag) {
                return Err(format!("the tag `{tag}` is not a valid image tag"));
            }
            n
        }
        _ => name,
    };
    if let Some((_, digest)) = uri.split_once('@') {
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("the digest must be sha256: followed by 64 hex digits".into());
        }
    }
    // A first segment with a dot, a port or `localhost` names a registry host.
    let segments: Vec<&str> = name.split('/').collect();
    let has_host = segments.len() > 1 && (segments[0].contains(['.', ':']) || segments[0] == "localhost");
    let path_ok = !name.is_empty()
        && segments.iter().enumerate().all(|(i, part)| {
            let host = i == 0 && has_host;
            !part.is_empty()
                && part.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c) || (host && (c == ':' || c.is_ascii_uppercase()))
                })
        });
    if !path_ok {
        return Err("is not an image reference like registry/repository:tag".into());
    }
    Ok(())
}

pub const LOG_RETENTION_DAYS: [u32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(dns_label("mysfits", 24).is_ok());
        assert!(dns_label("a1-b2", 24).is_ok());
        for bad in ["", "Upper", "1st", "trailing-", "dou--ble", "under_score", "waytoolongnameforastackxx"] {
            assert!(dns_label(bad, 24).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedules_as_aws_takes_them() {
        for good in ["cron(0 8 ? * MON-FRI *)", "cron(15 3 1 * ? *)", "rate(5 minutes)", "rate(1 hour)", "at(2026-12-24T18:00:00)"] {
            assert_eq!(schedule_expression(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("0 8 * * *", "is not a schedule"),
            ("cron(0 8 * * *)", "6 fields"),
            ("cron(0 8 * * MON *)", "must be `?`"),
            ("cron(0 8 ? * ? *)", "must be `?`"),
            ("rate(1 minutes)", "not a unit"),
            ("rate(0 hours)", "never runs"),
            ("at(2026-12-24 18:00)", "one-time"),
        ] {
            let got = schedule_expression(bad).expect_err(bad);
            assert!(got.contains(says), "{bad}: {got}");
        }
        assert!(timezone("Europe/Berlin").is_ok() && timezone("UTC").is_ok());
        assert!(timezone("Berlin time").is_err() && timezone("CEST").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("5m", secs(0), secs(3600)), Ok(secs(300)));
        assert_eq!(duration("1h30m", secs(0), secs(7200)), Ok(secs(5400)));
        assert!(duration("5", secs(0), secs(10)).is_err());
        assert!(duration("1500ms", secs(0), secs(10)).is_err());
        assert!(duration("2h", secs(0), secs(3600)).is_err());
    }

    #[test]
    fn only_hosts_that_look_like_ecr_but_are_not_are_refused() {
        assert!(ecr_look_alike("123456789012.dkr.ecr.us-east-1.attacker.example/app:1").is_some());
        assert!(ecr_look_alike("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/app:1").is_some());
        assert!(ecr_look_alike("123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app:1").is_some());
        assert_eq!(ecr_look_alike("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"), None);
        assert_eq!(ecr_look_alike("ghcr.io/acme/web:3"), None);
        assert_eq!(ecr_look_alike("nginx:1.27"), None);
    }

    #[test]
    fn alb_conditions() {
        assert!(alb_path("/mysfits/*/like").is_ok());
        assert!(alb_path("api").is_err());
        assert!(alb_path("/a b").is_err());
        assert!(alb_path(&format!("/{}", "a".repeat(128))).is_err());
        assert!(alb_host("api.example.com").is_ok());
        assert!(alb_host("api_example").is_err());
    }

    #[test]
    fn path_patterns_match_like_the_load_balancer() {
        assert!(path_matches("/*", "/health"));
        assert!(path_matches("/mysfits/*/like", "/mysfits/42/like"));
        assert!(path_matches("/api/users*", "/api/users/7"));
        assert!(path_matches("/a?c", "/abc"));
        assert!(!path_matches("/mysfits/*/like", "/health"));
        assert!(!path_matches("/api/users*", "/api/posts"));
    }

    #[test]
    fn pattern_containment() {
        let cases = [
            ("/*", "/api/*", true),
            ("/api*", "/api/users*", true),
            ("/api/*", "/api*", false),
            ("/a?c", "/abc", true),
            ("/a?c", "/a*c", false),
            ("/a*c", "/a?c", true),
            ("/mysfits/*/like", "/mysfits/1/like", true),
            ("/mysfits/*/like", "/*", false),
            ("/x", "/x", true),
            ("/x", "/y", false),
        ];
        for (outer, inner, want) in cases {
            assert_eq!(pattern_covers(outer, inner), want, "{outer} ⊇ {inner}");
        }
    }

    #[test]
    fn matcher_codes() {
        for ok in ["200", "200-399", "200,204", "404"] {
            assert!(http_codes(ok), "{ok}");
        }
        for bad in ["", "2000", "500", "300-200", "abc"] {
            assert!(!http_codes(bad), "{bad}");
        }
    }

    #[test]
    fn ids_and_arns() {
        assert!(aws_id("vpc-0123abcd", "vpc-"));
        assert!(aws_id("subnet-0123456789abcdef0", "subnet-"));
        assert!(!aws_id("vpc-XYZ", "vpc-"));
        assert!(acm_arn("arn:aws:acm:us-east-1:123456789012:certificate/abc-123"));
        assert!(policy_arn("arn:aws:iam::123456789012:policy/ecship-boundary"));
        assert!(policy_arn("arn:aws:iam::123456789012:policy/teams/web/boundary"));
        assert!(policy_arn("arn:aws:iam::aws:policy/PowerUserAccess"));
        assert!(!policy_arn("arn:aws:iam::123456789012:role/boundary"));
        assert!(!policy_arn("arn:aws:iam:us-east-1:123456789012:policy/b"));
        assert!(!policy_arn("arn:aws:iam::1234:policy/b"));
        assert!(!policy_arn("arn:aws:iam::123456789012:policy/"));
        assert!(!acm_arn("arn:aws:iam::123456789012:server-certificate/x"));
    }

    #[test]
    fn image_references() {
        assert!(image_uri("nginx:1.27").is_ok());
        assert!(image_uri("public.ecr.aws/nginx/nginx:1.27").is_ok());
        assert!(image_uri("localhost:5000/app:v1").is_ok());
        assert!(image_uri(&format!("app@sha256:{}", "a".repeat(64))).is_ok());
        assert!(image_uri("App:v1").is_err());
        assert!(image_uri("app@sha256:abc").is_err());
        assert!(matches!(image_tag("localhost:5000/app"), ImageTag::Missing));
        assert!(matches!(image_tag("app:latest"), ImageTag::Tag("latest")));
    }
}
