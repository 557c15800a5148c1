//! Secrets written into a spec in plain text — in `env`, logging options, build arguments
//! and commands — spotted by name and by value, so validation refuses them and `init`
//! leaves them out. Pure text; no message ever includes the value.

/// Why an env var looks like a plaintext secret, if it does. Never includes the value.
pub fn plaintext_secret(name: &str, value: &str) -> Option<&'static str> {
    if value.trim().is_empty() || value.starts_with("${service.") {
        return None;
    }
    if has_aws_access_key(value) {
        return Some("its value contains an AWS access key id");
    }
    if value.contains("PRIVATE KEY-----") {
        return Some("its value contains a private key");
    }
    if has_url_password(value) {
        return Some("its value is a URL with a password in it");
    }
    secret_name(name).then_some("its name says it holds a secret")
}

/// Whether a variable's or option's name (`DB_PASSWORD`, `--api-key`) says it holds a secret.
fn secret_name(name: &str) -> bool {
    // Names that hold a secret; a name ending in one of NOT_SECRET names something about it.
    const SECRET: [&str; 9] = ["PASSWORD", "PASSWD", "PWD", "PASS", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS"];
    const NOT_SECRET: [&str; 16] = [
        "NAME", "ARN", "ID", "PATH", "FILE", "TTL", "URL", "URI", "HEADER", "ENABLED", "LENGTH", "EXPIRY", "TIMEOUT", "REF", "FIELD",
        "TYPE",
    ];
    let upper = name.trim_start_matches('-').to_ascii_uppercase().replace(['-', '.'], "_");
    let words: Vec<&str> = upper.split('_').filter(|w| !w.is_empty()).collect();
    if words.last().is_some_and(|w| NOT_SECRET.contains(w)) {
        return false;
    }
    let pairs =
        words.windows(2).any(|w| matches!((w[0], w[1]), ("API" | "PRIVATE" | "SECRET" | "ACCESS" | "SIGNING" | "ENCRYPTION", "KEY")));
    pairs || words.iter().any(|w| SECRET.contains(w) || w.ends_with("PASSWORD") || w.ends_with("SECRET") || w.ends_with("TOKEN"))
}

/// Why a command (its words, and the shell line any of them holds) looks like it carries a
/// secret in plain text, with the index of the word it is in; `None` when it does not.
/// Never includes the value. A value read from the environment (`$NAME`, `"${NAME}"`,
/// `$(cat FILE)`) is not a secret in the command.
pub fn plaintext_secret_in_command(words: &[String]) -> Option<(usize, &'static str)> {
    for (i, w) in words.iter().enumerate() {
        if has_aws_access_key(w) {
            return Some((i, "it contains an AWS access key id"));
        }
        if w.contains("PRIVATE KEY-----") {
            return Some((i, "it contains a private key"));
        }
        if has_url_password(w) {
            return Some((i, "it contains a URL with a password in it"));
        }
    }
    let tokens: Vec<(usize, &str)> =
        words.iter().enumerate().flat_map(|(i, w)| w.split_whitespace().map(move |t| (i, t.trim_matches(['\'', '"'])))).collect();
    for (k, (i, t)) in tokens.iter().enumerate() {
        // `NAME=VALUE`, `--name=VALUE`, `--user=USER:PASSWORD`
        if let Some((name, value)) = t.split_once('=') {
            if secret_name(name) && literal(value) {
                return Some((*i, "it sets a variable or option whose name says it holds a secret"));
            }
            if name == "--user" && user_password(value) {
                return Some((*i, "it passes a user and password (`--user USER:PASSWORD`)"));
            }
            continue;
        }
        // `--name VALUE`, `-u USER:PASSWORD` (curl's, and others')
        let next = tokens.get(k + 1).filter(|(_, v)| !v.starts_with('-') && literal(v));
        if let (true, Some((j, _))) = (t.starts_with('-') && secret_name(t), next) {
            return Some((*j, "it passes a value to an option whose name says it holds a secret"));
        }
        if let (true, Some((j, _))) = (matches!(*t, "-u" | "--user"), next.filter(|(_, v)| user_password(v))) {
            return Some((*j, "it passes a user and password (`--user USER:PASSWORD`)"));
        }
        // `Authorization: Bearer VALUE`, `Basic VALUE`
        if matches!(*t, "Bearer" | "Basic") && k > 0 && tokens[k - 1].1.eq_ignore_ascii_case("authorization:") {
            if let Some((j, _)) = tokens.get(k + 1).filter(|(_, v)| literal(v)) {
                return Some((*j, "it sends an Authorization header with a credential in it"));
            }
        }
    }
    None
}

/// `USER:PASSWORD` with the password written out.
fn user_password(value: &str) -> bool {
    value.trim_matches(['\'', '"']).split_once(':').is_some_and(|(_, pw)| literal(pw))
}

/// A value written out, not read from the environment when the command runs.
fn literal(value: &str) -> bool {
    let v = value.trim_matches(['\'', '"']);
    !v.is_empty() && !v.starts_with('$')
}

/// `scheme://user:password@host…`
fn has_url_password(value: &str) -> bool {
    value.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, pw)| !pw.is_empty()))
    })
}

fn has_aws_access_key(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes
        .windows(20)
        .any(|w| (w.starts_with(b"AKIA") || w.starts_with(b"ASIA")) && w[4..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_secrets_are_spotted_without_false_alarms() {
        assert!(plaintext_secret("DB_PASSWORD", "hunter2").is_some());
        assert!(plaintext_secret("GITHUB_TOKEN", "ghp_x").is_some());
        assert!(plaintext_secret("API_KEY", "k").is_some());
        assert!(plaintext_secret("KEY_ID", "AKIAABCDEFGHIJKLMNOP").is_some());
        assert!(plaintext_secret("TLS", "-----BEGIN RSA PRIVATE KEY-----").is_some());
        for name in [
            "SECRET_KEY",
            "JWT_SECRET_KEY",
            "DBPASSWORD",
            "MYSQL_PWD",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_API_KEY",
            "CLIENT_SECRET",
            "AUTH_TOKEN",
        ] {
            assert!(plaintext_secret(name, "x").is_some(), "{name}");
        }
        assert!(plaintext_secret("DATABASE_URL", "postgres://app:hunter2@db:5432/app").is_some());
        assert!(plaintext_secret("DATABASE_URL", "postgres://app@db:5432/app").is_none());
        for name in
            ["TOKEN_TTL", "SECRET_NAME", "PASSWORD_MIN_LENGTH", "API_KEY_HEADER", "SECRET_ARN", "KEY_ID", "CACHE_KEY", "PASSPORT_ENABLED"]
        {
            assert!(plaintext_secret(name, "x").is_none(), "{name}");
        }
        assert!(plaintext_secret("DB_PASSWORD", "").is_none());
        assert!(plaintext_secret("TABLE", "mysfits").is_none());
    }

    #[test]
    fn plaintext_secrets_in_commands_are_spotted_without_false_alarms() {
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        for (cmd, at) in [
            (&["app", "--password", "hunter2"][..], 2),
            (&["app", "--db-password=hunter2"], 1),
            (&["app", "--api-key", "k-123"], 2),
            (&["sh", "-c", "DB_PASSWORD=hunter2 exec app"], 2),
            (&["sh", "-c", "export GITHUB_TOKEN='ghp_x' && run"], 2),
            (&["CMD-SHELL", "curl -f -H 'Authorization: Bearer abc123' http://localhost/health"], 1),
            (&["CMD-SHELL", "mysqladmin ping --password hunter2"], 1),
            (&["app", "--aws-key", "AKIAABCDEFGHIJKLMNOP"], 2),
            (&["app", "--db", "postgres://app:hunter2@db:5432/app"], 2),
            (&["app", "-----BEGIN RSA PRIVATE KEY-----"], 1),
            (&["CMD-SHELL", "curl -fsS -u admin:hunter2 http://localhost/health"], 1),
            (&["curl", "--user=admin:hunter2", "http://localhost/"], 1),
        ] {
            assert_eq!(plaintext_secret_in_command(&words(cmd)).map(|(i, _)| i), Some(at), "{cmd:?}");
        }
        for cmd in [
            &["app", "--port", "80"][..],
            &["app", "--password-file", "/run/secrets/db"],
            &["app", "--token-ttl", "300"],
            &["app", "--password", "$DB_PASSWORD"],
            &["app", "--password=${DB_PASSWORD}"],
            &["sh", "-c", "exec app --password \"$DB_PASSWORD\" --token \"$(cat /run/token)\""],
            &["app", "--token", "--verbose"],
            &["app", "--password"],
            &["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
            &["CMD-SHELL", "curl -f -H \"Authorization: Bearer $TOKEN\" http://localhost/"],
            &["app", "--db", "postgres://app@db:5432/app"],
            &["app", "PASSPORT_ENABLED=true", "SECRET_NAME=db"],
            &["CMD-SHELL", "curl -u \"admin:$ADMIN_PASSWORD\" http://localhost/"],
            &["ps", "-u", "root"],
        ] {
            assert_eq!(plaintext_secret_in_command(&words(cmd)), None, "{cmd:?}");
        }
    }
}
