//! The broken-spec corpus: each file in tests/specs/invalid/ names, in `# expect:` lines,
//! the messages `ecship validate` must print, and in `# problems: N` how many.

mod common;

use common::{ecship, root};

#[test]
fn every_broken_spec_fails_with_its_expected_messages() {
    let dir = root().join("tests/specs/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus has {} files", files.len());
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("readable")).into_owned();
        let expects: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        let count: Option<usize> = text.lines().find_map(|l| l.strip_prefix("# problems: ")).and_then(|n| n.trim().parse().ok());
        assert!(!expects.is_empty(), "{} names no expected message", file.display());
        let out = ecship().arg("validate").arg(&file).env_remove("UNSET_IN_TESTS").output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}:\n{stderr}", file.display());
        assert!(!stderr.contains("panicked"), "{}:\n{stderr}", file.display());
        for e in expects {
            assert!(stderr.contains(e), "{}: expected `{e}` in:\n{stderr}", file.display());
        }
        if let Some(n) = count {
            let suffix = format!("{n} problem{} in", if n == 1 { "" } else { "s" });
            assert!(stderr.contains(&suffix), "{}: expected {n} problems in:\n{stderr}", file.display());
        }
    }
}
