//! The stack spec: YAML types, loading, `${VAR}` interpolation, environment overrides, and
//! validation into a `model::Model` with located, all-at-once diagnostics.
//!
//! Must not call AWS. Only `load` (and `positions`) know the YAML crates.

pub mod diagnostic;
mod interpolate;
pub mod load;
mod positions;
mod structure;
pub mod types;
pub mod validate;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use load::{environment_names, load, load_str, LoadError, LoadOptions, Loaded};
pub use validate::validate;

/// The JSON Schema of the spec, as published by `ecship schema` and used for shape checks.
pub fn schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(types::Spec)).unwrap_or_default();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), "ecship stack spec".into());
    }
    schema
}
