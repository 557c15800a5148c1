//! Process exit codes, in one place. Documented in the README.

/// Success.
pub const OK: u8 = 0;
/// Any error: an invalid spec, an unreadable file, a command-line usage error.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode`: changes present.
pub const CHANGES: u8 = 2;
/// A rollout failed and the service runs its previous revision again.
pub const ROLLED_BACK: u8 = 3;
/// A rollout did not become stable in its `deploy.timeout`.
pub const TIMED_OUT: u8 = 4;
/// A one-off task a deploy runs first (`deploy.before`) failed: no service was changed.
pub const BEFORE_FAILED: u8 = 5;
/// Interrupted (Ctrl-C).
pub const INTERRUPTED: u8 = 130;
