//! Process exit codes, in one place. Documented in the README.

/// Success.
pub const OK: u8 = 0;
/// Any error: an invalid spec, an unreadable file, a command-line usage error.
pub const ERROR: u8 = 1;
