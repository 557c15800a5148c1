//! The tag an image is pushed under when the spec gives none: the git commit of its source,
//! `-dirty` when the source has uncommitted changes there.

use std::path::Path;
use std::process::Command;

/// `abc1234` or `abc1234-dirty` for the git repository holding `dir`; `None` outside git
/// (or without a git command).
pub fn git_tag(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "--short=7", "HEAD"]).filter(|s| !s.is_empty())?;
    // Only changes under `dir` count: an edit elsewhere in the repository builds the same image.
    let status = git(&["status", "--porcelain", "--untracked-files=normal", "--", "."])?;
    Some(if status.is_empty() { sha } else { format!("{sha}-dirty") })
}

/// The commit time (seconds since the epoch) of the git repository holding `dir`: builds
/// stamp it on every file and on the image, so the same commit builds the same digest.
pub fn commit_time(dir: &Path) -> Option<u64> {
    let out = Command::new("git").arg("-C").arg(dir).args(["log", "-1", "--format=%ct"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The tag when there is no git either: the digest's first 12 hex digits.
pub fn digest_tag(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    format!("sha256-{}", hex.get(..12).unwrap_or(hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_tags_are_short_and_valid() {
        assert_eq!(digest_tag("sha256:0123456789abcdef0123"), "sha256-0123456789ab");
    }

    #[test]
    fn outside_git_there_is_no_git_tag() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(git_tag(dir.path()), None);
    }

    #[test]
    fn a_commit_gives_its_short_sha_and_changes_make_it_dirty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = |args: &[&str]| {
            let ok = Command::new("git").arg("-C").arg(dir.path()).args(args).output().expect("git runs").status.success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::create_dir(dir.path().join("app")).expect("mkdir");
        std::fs::write(dir.path().join("app/Dockerfile"), "FROM scratch\n").expect("write");
        git(&["add", "."]);
        git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one"]);
        let tag = git_tag(&dir.path().join("app")).expect("a tag");
        assert_eq!(tag.len(), 7, "{tag}");
        std::fs::write(dir.path().join("elsewhere.txt"), "x").expect("write");
        assert_eq!(git_tag(&dir.path().join("app")), Some(tag.clone()), "changes outside the context do not count");
        std::fs::write(dir.path().join("app/new.txt"), "x").expect("write");
        assert_eq!(git_tag(&dir.path().join("app")), Some(format!("{tag}-dirty")));
    }
}
