//! Rules for `volumes`: names, mount paths, file system and access point ids; and, across
//! the stack, one source per volume name (a created volume is shared by name).

use std::collections::BTreeMap;

use super::checks;
use super::Ctx;
use crate::model::{self, ServiceName, VolumeSource};
use crate::spec::types;

impl Ctx<'_> {
    pub(super) fn volumes(&mut self, path: &str, raw: &BTreeMap<String, types::Volume>) -> Vec<model::Mount> {
        let mut out: Vec<model::Mount> = Vec::new();
        for (name, v) in raw {
            let p = format!("{path}.volumes.{name}");
            if let Err(m) = checks::dns_label(name, 32) {
                self.err(&p, format!("volume name `{name}` {m}"));
                continue;
            }
            let clean = v.path.len() > 1 && v.path.starts_with('/') && !v.path.split('/').any(|part| part == "..");
            if !clean {
                self.err(&format!("{p}.path"), format!("`{}` is not an absolute path inside the container", v.path))
                    .hint("e.g. path: /var/www/uploads");
            }
            if let Some(other) = out.iter().find(|m| m.path == v.path) {
                self.err(&format!("{p}.path"), format!("volume `{}` is mounted at {} too", other.volume, v.path));
            }
            let source = match (&v.file_system, &v.access_point) {
                (None, None) => VolumeSource::Created,
                (None, Some(_)) => {
                    self.err(&format!("{p}.access_point"), "an access point belongs to a file system: give `file_system` too")
                        .hint("or leave both out, and the stack creates the file system and its access point");
                    VolumeSource::Created
                }
                (Some(fs), ap) => {
                    if !efs_id(fs, "fs-") {
                        self.err(&format!("{p}.file_system"), format!("`{fs}` is not an EFS file system id (fs-…)"));
                    }
                    if let Some(ap) = ap.as_ref().filter(|ap| !efs_id(ap, "fsap-")) {
                        self.err(&format!("{p}.access_point"), format!("`{ap}` is not an EFS access point id (fsap-…)"));
                    }
                    VolumeSource::Existing { file_system: fs.clone(), access_point: ap.clone() }
                }
            };
            out.push(model::Mount { volume: name.clone(), path: v.path.clone(), read_only: v.read_only.unwrap_or(false), source });
        }
        out
    }

    /// A volume name means one file system across the stack.
    pub(super) fn check_volumes<'a>(&mut self, tasks: impl Iterator<Item = (String, &'a model::Service)>) {
        let mut seen: BTreeMap<&str, (&VolumeSource, &ServiceName)> = BTreeMap::new();
        for (section, task) in tasks {
            for m in &task.volumes {
                match seen.get(m.volume.as_str()) {
                    Some((source, first)) if *source != &m.source => {
                        self.err(
                            &format!("{section}.{}.volumes.{}", task.name, m.volume),
                            format!("volume `{}` is {} for `{first}` but {} here", m.volume, describe(source), describe(&m.source)),
                        )
                        .hint("a volume name is one file system across the stack: use the same settings, or another name");
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(&m.volume, (&m.source, &task.name));
                    }
                }
            }
        }
    }
}

fn describe(s: &VolumeSource) -> String {
    match s {
        VolumeSource::Created => "created by the stack".into(),
        VolumeSource::Existing { file_system, access_point: None } => format!("file system {file_system}"),
        VolumeSource::Existing { file_system, access_point: Some(ap) } => format!("file system {file_system} through {ap}"),
    }
}

/// `fs-` or `fsap-` and 8 to 40 lowercase hex digits.
fn efs_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|hex| (8..=40).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn efs_ids_have_their_prefix_and_hex() {
        assert!(super::efs_id("fs-0123abcd", "fs-"));
        assert!(super::efs_id("fsap-0123456789abcdef0", "fsap-"));
        assert!(!super::efs_id("fs-XYZ12345", "fs-"));
        assert!(!super::efs_id("fsap-0123abcd", "fs-"));
    }
}
