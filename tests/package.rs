//! The crate is ready to publish: `cargo publish --dry-run` packages it with complete
//! metadata and nothing to warn about (the build itself is every other test's).

mod common;

#[test]
fn cargo_publish_dry_run_is_clean() {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(common::root())
        .args(["publish", "--dry-run", "--no-verify", "--allow-dirty", "--locked"])
        .output()
        .expect("cargo runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Packaged"), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:") && !l.contains("aborting upload due to dry run")).collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}
