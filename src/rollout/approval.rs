//! Approval of a held rollout (`deploy.approve`), as a tag on the new colour's ECS service:
//! `pending REVISION` while a run holds it, `approved REVISION` or `rejected REVISION` once
//! someone decides. The revision (`family:N`) ties a decision to one rollout: an approval of
//! yesterday's revision does not let today's through.

use std::fmt;

/// The tag's key.
pub const APPROVAL_TAG: &str = "ecship:approval";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// A run holds the rollout of this revision, waiting.
    Pending(String),
    Approved(String),
    Rejected(String),
}

impl Approval {
    pub fn parse(tag: &str) -> Option<Self> {
        let (word, revision) = tag.split_once(' ')?;
        let revision = revision.to_string();
        match word {
            "pending" => Some(Self::Pending(revision)),
            "approved" => Some(Self::Approved(revision)),
            "rejected" => Some(Self::Rejected(revision)),
            _ => None,
        }
    }

    pub fn revision(&self) -> &str {
        match self {
            Self::Pending(r) | Self::Approved(r) | Self::Rejected(r) => r,
        }
    }
}

impl fmt::Display for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pending(r) => write!(f, "pending {r}"),
            Self::Approved(r) => write!(f, "approved {r}"),
            Self::Rejected(r) => write!(f, "rejected {r}"),
        }
    }
}

/// What a held rollout of `revision` does, given the tag as it stands: go on, roll back, or
/// keep waiting (no decision, or one about another revision).
pub fn decided(tag: Option<&str>, revision: &str) -> Option<bool> {
    match tag.and_then(Approval::parse) {
        Some(Approval::Approved(r)) if r == revision => Some(true),
        Some(Approval::Rejected(r)) if r == revision => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_reads_back_as_written() {
        for a in [Approval::Pending("s-web:4".into()), Approval::Approved("s-web:4".into()), Approval::Rejected("s-web:4".into())] {
            assert_eq!(Approval::parse(&a.to_string()), Some(a.clone()));
        }
        assert_eq!(Approval::parse("maybe s-web:4"), None);
        assert_eq!(Approval::parse(""), None);
    }

    #[test]
    fn only_a_decision_about_this_revision_counts() {
        let cases = [
            (None, None),
            (Some("pending s-web:4"), None),
            (Some("approved s-web:4"), Some(true)),
            (Some("rejected s-web:4"), Some(false)),
            (Some("approved s-web:3"), None),
            (Some("rejected s-web:3"), None),
            (Some("garbage"), None),
        ];
        for (tag, want) in cases {
            assert_eq!(decided(tag, "s-web:4"), want, "{tag:?}");
        }
    }
}
