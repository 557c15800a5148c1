//! HTTP clients outside the AWS SDK (registry pushes, rollout HTTP checks), on the same TLS
//! provider as the SDK.

/// Build a reqwest client. The process's TLS provider is installed first (once; the AWS
/// SDK's, aws-lc-rs): reqwest is built without one of its own.
pub fn client(builder: reqwest::ClientBuilder) -> reqwest::Result<reqwest::Client> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    builder.build()
}

/// An error and each of its causes, joined by `: ` — what a connection failure says in full
/// (reqwest's own text stops at "error sending request").
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}
