//! Process exit codes, in one place. Documented in the README.

/// Success; for `plan --detailed-exitcode`, no changes.
pub const OK: u8 = 0;
/// Any error: an invalid spec, a failed AWS call, a refused confirmation.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode`: changes are present.
pub const CHANGES: u8 = 2;
