//! What ecship trusts about registries, decided in one place each and table-tested: which
//! URLs a registry endpoint or mirror may be (plain http only on this machine), which token
//! service a registry's login may go to, which `docker login` entry answers for a host, and
//! whether a URL is on a registry's own origin. Which hosts get the account's ECR login is
//! `model::EcrHost`'s decision. Pure: no network, no files.

use reqwest::Url;

/// Why a registry URL (`--registry-endpoint`, a `--registry-mirror`) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("not a URL with a host, such as https://registry.example.com or http://127.0.0.1:5000")]
    NotUrl,
    #[error("a registry URL carries no user or password: the login is ecship's to send")]
    UserInfo,
    #[error("plain http is only for this machine (a host of exactly 127.0.0.1, ::1 or localhost): the registry login would cross the network unencrypted — use https")]
    Cleartext,
}

/// A registry URL requests may go to, normalised without its trailing `/`: `https://` to any
/// host, plain `http://` only when the host *is* `127.0.0.1`, `::1` or `localhost` (parsed, so
/// `http://localhost@evil.example` and `http://127.evil.example` are not).
pub fn registry_url(text: &str) -> Result<String, UrlRefusal> {
    let url = Url::parse(text.trim()).map_err(|_| UrlRefusal::NotUrl)?;
    // The parsed host: IPv4 and IPv6 addresses come out in their canonical spelling.
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or(UrlRefusal::NotUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::UserInfo);
    }
    match url.scheme() {
        "https" => {}
        "http" if matches!(host, "127.0.0.1" | "[::1]" | "localhost") => {}
        "http" => return Err(UrlRefusal::Cleartext),
        _ => return Err(UrlRefusal::NotUrl),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A registry URL for messages, any password in it left out (it is never shown).
pub fn shown(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(None);
            url.as_str().trim_end_matches('/').to_string()
        }
        _ => text.to_string(),
    }
}

/// Whether `url` is on the origin (scheme, host and port) of `base`.
pub fn same_origin(url: &str, base: &str) -> bool {
    match (Url::parse(url), Url::parse(base)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Whether a token service (`WWW-Authenticate: Bearer realm=…`) may be sent the login of the
/// registry that named it: only on the origin the registry's requests go to (`base`), or
/// Docker Hub's own token service for `docker.io`. Any other realm is asked anonymously: a
/// registry must not be able to send its visitors' credentials elsewhere.
pub fn realm_gets_login(realm: &str, base: &str, host: &str) -> bool {
    same_origin(realm, base) || (host == "docker.io" && same_origin(realm, "https://auth.docker.io"))
}

/// The registry host a `docker login` entry (a key of `auths` in config.json) answers for,
/// as image references name it: `https://index.docker.io/v1/` (how docker names Docker Hub)
/// and `index.docker.io` are `docker.io`; otherwise the key's host, with any `https://` or
/// `http://` and path dropped, compared exactly. `None` for a key that names no host.
pub fn docker_auth_host(key: &str) -> Option<String> {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let host = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    let valid = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !valid {
        return None;
    }
    Some(if matches!(host.as_str(), "index.docker.io" | "registry-1.docker.io") { "docker.io".to_string() } else { host })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_a_host_that_is_this_machine() {
        for (url, want) in [
            ("https://registry.example.com", Ok("https://registry.example.com")),
            ("https://registry.example.com/", Ok("https://registry.example.com")),
            ("https://mirror.example.com/prefix/", Ok("https://mirror.example.com/prefix")),
            ("http://127.0.0.1:5000", Ok("http://127.0.0.1:5000")),
            ("http://127.0.0.1:5000/", Ok("http://127.0.0.1:5000")),
            ("http://localhost:5000", Ok("http://localhost:5000")),
            ("http://LOCALHOST:5000", Ok("http://localhost:5000")),
            ("http://[::1]:5000", Ok("http://[::1]:5000")),
            ("http://localhost@evil.example", Err(UrlRefusal::UserInfo)),
            ("http://localhost:5000@evil.example", Err(UrlRefusal::UserInfo)),
            ("https://user:pw@registry.example.com", Err(UrlRefusal::UserInfo)),
            ("http://127.evil.example", Err(UrlRefusal::Cleartext)),
            ("http://127.0.0.1.evil.example:5000", Err(UrlRefusal::Cleartext)),
            ("http://localhost.evil.example", Err(UrlRefusal::Cleartext)),
            ("http://localhost.", Err(UrlRefusal::Cleartext)),
            ("http://127.0.0.2:5000", Err(UrlRefusal::Cleartext)),
            ("http://10.0.0.5:5000", Err(UrlRefusal::Cleartext)),
            ("http://[::2]:5000", Err(UrlRefusal::Cleartext)),
            ("http://registry.example.com", Err(UrlRefusal::Cleartext)),
            ("ftp://127.0.0.1", Err(UrlRefusal::NotUrl)),
            ("127.0.0.1:5000", Err(UrlRefusal::NotUrl)),
            ("registry.example.com", Err(UrlRefusal::NotUrl)),
            ("", Err(UrlRefusal::NotUrl)),
        ] {
            assert_eq!(registry_url(url).as_deref().map_err(Clone::clone), want, "{url}");
        }
    }

    #[test]
    fn urls_are_shown_without_their_credentials() {
        assert_eq!(shown("https://user:hunter2@registry.example.com/"), "https://user@registry.example.com");
        assert_eq!(shown("http://localhost@evil.example"), "http://localhost@evil.example");
        assert_eq!(shown("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(shown("not a url"), "not a url");
    }

    #[test]
    fn a_token_service_elsewhere_gets_no_login() {
        let base = "https://registry.example.com";
        assert!(realm_gets_login("https://registry.example.com/token", base, "registry.example.com"));
        assert!(realm_gets_login("https://registry.example.com:443/token?x=1", base, "registry.example.com"));
        assert!(realm_gets_login("http://127.0.0.1:5000/token", "http://127.0.0.1:5000", "ghcr.io"), "a mirror's own realm");
        for realm in [
            "https://auth.example.com/token",
            "https://registry.example.com.evil.example/token",
            "https://registry.example.com@evil.example/token",
            "http://registry.example.com/token",
            "https://registry.example.com:8443/token",
            "not a url",
        ] {
            assert!(!realm_gets_login(realm, base, "registry.example.com"), "{realm}");
        }
        assert!(!realm_gets_login("http://localhost:5001/token", "http://127.0.0.1:5000", "ghcr.io"));
        // Docker Hub's registry and token service are two hosts of its own.
        assert!(realm_gets_login("https://auth.docker.io/token", "https://registry-1.docker.io", "docker.io"));
        assert!(!realm_gets_login("https://auth.docker.io/token", "https://registry.example.com", "registry.example.com"));
        assert!(!realm_gets_login("http://auth.docker.io/token", "https://registry-1.docker.io", "docker.io"));
    }

    #[test]
    fn docker_logins_answer_for_their_exact_host() {
        for (key, want) in [
            ("https://index.docker.io/v1/", Some("docker.io")),
            ("index.docker.io", Some("docker.io")),
            ("docker.io", Some("docker.io")),
            ("ghcr.io", Some("ghcr.io")),
            ("https://ghcr.io", Some("ghcr.io")),
            ("registry.example.com:5000", Some("registry.example.com:5000")),
            ("Registry.Example.com", Some("registry.example.com")),
            ("https://registry.example.com/v2/", Some("registry.example.com")),
            ("registry.example.com@evil.example", None),
            ("", None),
            ("https://", None),
        ] {
            assert_eq!(docker_auth_host(key).as_deref(), want, "{key}");
        }
        // Exact hosts: a key is never a prefix or suffix of another host.
        assert_ne!(docker_auth_host("registry.example.com").as_deref(), Some("registry.example.com.evil.example"));
        assert_ne!(docker_auth_host("example.com").as_deref(), Some("registry.example.com"));
    }
}
