//! Names the commit a binary was built from, for `ecship --version`: `ECSHIP_COMMIT` when the
//! release build sets it, else `git rev-parse HEAD` of the checkout, else `unknown` (a build
//! from the crates.io package).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ECSHIP_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    // HEAD names a branch: its commit moves in the branch's ref file.
    if let Some(branch) = std::fs::read_to_string(".git/HEAD").ok().and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_string())) {
        println!("cargo:rerun-if-changed=.git/{branch}");
    }
    let commit = std::env::var("ECSHIP_COMMIT").ok().filter(|c| !c.is_empty()).or_else(git).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=ECSHIP_COMMIT={commit}");
}

fn git() -> Option<String> {
    let head = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8(head.stdout).ok()?.trim().to_string())
}
