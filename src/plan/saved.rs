//! Saved plans (`plan --out`, `deploy --plan`): read back only in the format this version
//! writes, and applied only to the spec and the deployed state they were made from.

use super::{Plan, FORMAT_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("{file} is not a plan this ecship can apply (format_version {found}, expected {FORMAT_VERSION}): make a new one with `ecship plan --out`")]
    Version { file: String, found: String },
    #[error("{file} is not a valid plan: {reason}")]
    Invalid { file: String, reason: String },
    #[error("{file} is a plan for stack {saved}, not {now}: nothing was changed")]
    OtherStack { file: String, saved: String, now: String },
    #[error("the spec (or the variables, environment or images it uses) changed since {file} was made: nothing was changed — run `ecship plan --out` again and review the new plan")]
    SpecChanged { file: String },
    #[error("stack {stack} changed in AWS since {file} was made (another deploy, or a change outside ecship): nothing was changed — run `ecship plan --out` again and review the new plan")]
    StateChanged { file: String, stack: String },
}

/// A saved plan's text, read from `file` (named in errors).
pub fn parse(file: &str, text: &str) -> Result<Plan, SavedPlanError> {
    let version: Option<u64> = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v["format_version"].as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        let found = version.map_or_else(|| "missing".to_string(), |v| v.to_string());
        return Err(SavedPlanError::Version { file: file.to_string(), found });
    }
    serde_json::from_str(text).map_err(|e| SavedPlanError::Invalid { file: file.to_string(), reason: e.to_string() })
}

/// A saved plan applies only to the spec and the deployed state it was made from: `now` is
/// the plan made from them at this moment.
pub fn check(file: &str, saved: &Plan, now: &Plan) -> Result<(), SavedPlanError> {
    let file = file.to_string();
    if saved.stack != now.stack {
        return Err(SavedPlanError::OtherStack { file, saved: saved.stack.clone(), now: now.stack.clone() });
    }
    if saved.fingerprint.spec != now.fingerprint.spec {
        return Err(SavedPlanError::SpecChanged { file });
    }
    if saved.fingerprint.state != now.fingerprint.state {
        return Err(SavedPlanError::StateChanged { file, stack: now.stack.clone() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_format_version_is_read() {
        for (text, found) in [(r#"{"format_version": 2}"#, "2"), (r#"{"stack": "s"}"#, "missing"), ("not json", "missing")] {
            let err = parse("plan.json", text).expect_err(text);
            assert!(err.to_string().contains(&format!("format_version {found}, expected 3")), "{err}");
        }
        let err = parse("plan.json", r#"{"format_version": 3}"#).expect_err("no fields");
        assert!(err.to_string().starts_with("plan.json is not a valid plan: missing field"), "{err}");
    }
}
