//! Which registry hosts are ECR's: the one decision that lets the account's ECR login go to a
//! host, and that `validate` uses to refuse hosts written to look like ECR's. Also the private
//! ECR repository an image reference names. Pure text: no AWS, no network.
//!
//! ECR's private registries answer at `ACCOUNT.dkr.ecr.REGION.amazonaws.com`,
//! `ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com`, and `ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn`
//! in the China regions (<https://docs.aws.amazon.com/general/latest/gr/ecr.html>). Only those,
//! spelt exactly so (lowercase, no port, no trailing dot), are ECR here: a token from
//! `GetAuthorizationToken` can push to the account's repositories, so a host that merely
//! starts like one (`….amazonaws.com.evil.example`) must never receive it.

/// What an image's registry host is, as far as ECR goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcrHost<'a> {
    /// One of ECR's private registries: the account's ECR login may go there.
    Ecr { account: &'a str, region: &'a str },
    /// Written like an ECR host (`…dkr.ecr…`) but not one: never logged in to, and refused by
    /// `validate`.
    LookAlike,
    /// Any other registry.
    Other,
}

impl<'a> EcrHost<'a> {
    /// Classify a registry host as an image reference writes it (before the first `/`).
    pub fn of(host: &'a str) -> Self {
        if let Some((account, region)) = ecr_parts(host) {
            return EcrHost::Ecr { account, region };
        }
        if host.to_ascii_lowercase().contains("dkr.ecr") {
            EcrHost::LookAlike
        } else {
            EcrHost::Other
        }
    }

    /// The host of an image reference (`HOST/PATH[:TAG][@DIGEST]`); a reference without a
    /// host is Docker Hub's, which is `Other`.
    pub fn of_image(image: &'a str) -> Self {
        match image.split_once('/') {
            Some((host, _)) => Self::of(host),
            None => EcrHost::Other,
        }
    }
}

/// Why a look-alike host is not ECR's, for messages.
pub const ECR_HOSTS: &str = "ECR's registries are exactly ACCOUNT.dkr.ecr.REGION.amazonaws.com (or dkr.ecr-fips, or .amazonaws.com.cn in the China regions), in lowercase, with a 12-digit account and no port";

/// `(account, region)` of a real ECR registry host; `None` for any other text.
fn ecr_parts(host: &str) -> Option<(&str, &str)> {
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let (account, dkr, ecr, region, domain) = match labels.as_slice() {
        [account, dkr, ecr, region, domain @ ..] => (*account, *dkr, *ecr, *region, domain),
        _ => return None,
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || dkr != "dkr" || !region_name(region) {
        return None;
    }
    let china = region.starts_with("cn-");
    let ok = match (ecr, domain) {
        ("ecr", ["amazonaws", "com"]) => !china,
        ("ecr", ["amazonaws", "com", "cn"]) => china,
        ("ecr-fips", ["amazonaws", "com"]) => !china,
        _ => false,
    };
    ok.then_some((account, region))
}

/// An AWS region's name: `us-east-1`, `us-gov-west-1`, `ap-southeast-3`, `cn-north-1`.
fn region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else { return false };
    parts.len() >= 3
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// A private ECR repository, as an image reference names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRepository<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub name: &'a str,
}

impl<'a> EcrRepository<'a> {
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG|@DIGEST]` (or another of ECR's hosts,
    /// see `EcrHost`); `None` for any other registry, look-alikes included.
    pub fn parse(uri: &'a str) -> Option<Self> {
        let (host, path) = uri.split_once('/')?;
        let EcrHost::Ecr { account, region } = EcrHost::of(host) else { return None };
        // Repository names hold neither `:` nor `@`.
        let name = path.split(['@', ':']).next().filter(|n| !n.is_empty())?;
        Some(EcrRepository { account, region, name })
    }
}

#[cfg(test)]
mod tests {
    use super::{EcrHost, EcrRepository};

    #[test]
    fn only_ecrs_own_hosts_are_ecr() {
        let ecr = |account, region| EcrHost::Ecr { account, region };
        for (host, want) in [
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com", ecr("123456789012", "us-east-1")),
            ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", ecr("123456789012", "us-gov-west-1")),
            ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", ecr("123456789012", "cn-north-1")),
            ("123456789012.dkr.ecr.ap-southeast-3.amazonaws.com", ecr("123456789012", "ap-southeast-3")),
            // Look-alikes: another domain, the right one as a prefix or inside another name.
            ("123456789012.dkr.ecr.us-east-1.attacker.example", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com@evil", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.comevil", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.notamazonaws.com", EcrHost::LookAlike),
            ("evil.example.123456789012.dkr.ecr.us-east-1.amazonaws.com", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.amazonaws.com", EcrHost::LookAlike),
            // The right domain spelt otherwise: capitals, a trailing dot, a port, credentials.
            ("123456789012.DKR.ECR.us-east-1.amazonaws.com", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.AMAZONAWS.COM", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com.", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com:443", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com:5000", EcrHost::LookAlike),
            ("user:pw@123456789012.dkr.ecr.us-east-1.amazonaws.com", EcrHost::LookAlike),
            // Accounts and regions that are not: 11 or 13 digits, letters, a made-up region.
            ("12345678901.dkr.ecr.us-east-1.amazonaws.com", EcrHost::LookAlike),
            ("1234567890123.dkr.ecr.us-east-1.amazonaws.com", EcrHost::LookAlike),
            ("12345678901a.dkr.ecr.us-east-1.amazonaws.com", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.useast1.amazonaws.com", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.us-east-1.evil.amazonaws.com", EcrHost::LookAlike),
            // China's domain only for China's regions, and no FIPS there.
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com.cn", EcrHost::LookAlike),
            ("123456789012.dkr.ecr.cn-north-1.amazonaws.com", EcrHost::LookAlike),
            ("123456789012.dkr.ecr-fips.cn-north-1.amazonaws.com.cn", EcrHost::LookAlike),
            ("123456789012.dkr.ecrx.us-east-1.amazonaws.com", EcrHost::LookAlike),
            // Other registries, public ECR among them.
            ("public.ecr.aws", EcrHost::Other),
            ("ghcr.io", EcrHost::Other),
            ("127.0.0.1:5000", EcrHost::Other),
            ("docker.io", EcrHost::Other),
        ] {
            assert_eq!(EcrHost::of(host), want, "{host}");
        }
    }

    #[test]
    fn images_name_their_host_first() {
        assert!(matches!(EcrHost::of_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1"), EcrHost::Ecr { .. }));
        assert_eq!(EcrHost::of_image("123456789012.dkr.ecr.eu-west-1.evil.example/app:1"), EcrHost::LookAlike);
        assert_eq!(EcrHost::of_image("nginx:1.27"), EcrHost::Other);
        assert_eq!(EcrHost::of_image("library/nginx:1.27"), EcrHost::Other);
    }

    #[test]
    fn repositories_are_read_from_ecr_images_only() {
        let r = EcrRepository::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v3").expect("ECR");
        assert_eq!((r.account, r.region, r.name), ("123456789012", "eu-west-1", "team/app"));
        let digest = format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:{}", "a".repeat(64));
        assert_eq!(EcrRepository::parse(&digest).map(|r| r.name), Some("app"));
        assert_eq!(EcrRepository::parse("123456789012.dkr.ecr.us-east-1.attacker.example/app:1"), None);
        assert_eq!(EcrRepository::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/app:1"), None);
        assert_eq!(EcrRepository::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/"), None);
        assert_eq!(EcrRepository::parse("public.ecr.aws/nginx/nginx:1"), None);
    }
}
