//! Building a `build:` image with whichever builder is installed — buildah, podman or
//! docker buildx (`ECSHIP_BUILDER` picks one) — into an OCI layout ecship then pushes. No
//! Docker daemon is needed with buildah or podman.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::layout::{self, LocalImage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    Buildah,
    Podman,
    Docker,
}

impl Builder {
    const ALL: [Builder; 3] = [Builder::Buildah, Builder::Podman, Builder::Docker];

    pub fn command(self) -> &'static str {
        match self {
            Builder::Buildah => "buildah",
            Builder::Podman => "podman",
            Builder::Docker => "docker",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no image builder found for {service}: install buildah (`apt-get install buildah`), podman or docker with buildx, or set ECSHIP_BUILDER to one of them")]
    NoBuilder { service: String },
    #[error("ECSHIP_BUILDER is `{0}`: expected buildah, podman or docker")]
    UnknownBuilder(String),
    #[error(
        "{builder} is not installed (ECSHIP_BUILDER names it): install it, or unset ECSHIP_BUILDER to use whichever builder is present"
    )]
    Missing { builder: &'static str },
    #[error("building {service} with {builder} failed ({status}): its output is above{hint}")]
    Failed { service: String, builder: &'static str, status: String, hint: &'static str },
    #[error("cannot run {builder}: {detail}")]
    Run { builder: &'static str, detail: String },
    #[error(transparent)]
    Layout(#[from] layout::LayoutError),
}

/// What a build needs from the spec.
pub struct BuildSpec<'a> {
    pub service: &'a str,
    pub context: &'a Path,
    pub dockerfile: &'a Path,
    pub target: Option<&'a str>,
    pub args: &'a BTreeMap<String, String>,
    /// `linux/arm64` for an arm64 service (`None`: linux/amd64).
    pub platform: Option<&'a str>,
    /// Seconds since the epoch stamped on the image and its files (the source's commit
    /// time), so that the same source builds the same digest.
    pub timestamp: u64,
}

/// A built image; its layout lives as long as this value.
pub struct Built {
    pub image: LocalImage,
    pub builder: Builder,
    _dir: tempfile::TempDir,
}

/// The builder to use: `ECSHIP_BUILDER`, else the first of buildah, podman, docker on PATH.
pub fn choose(service: &str) -> Result<Builder, BuildError> {
    if let Ok(name) = std::env::var("ECSHIP_BUILDER") {
        let b = Builder::ALL.into_iter().find(|b| b.command() == name.trim()).ok_or(BuildError::UnknownBuilder(name))?;
        return if on_path(b.command()) { Ok(b) } else { Err(BuildError::Missing { builder: b.command() }) };
    }
    Builder::ALL.into_iter().find(|b| on_path(b.command())).ok_or_else(|| BuildError::NoBuilder { service: service.to_string() })
}

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(cmd))))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Build the image and export it as an OCI layout. The builder's own output goes to stderr.
pub async fn build(builder: Builder, spec: &BuildSpec<'_>) -> Result<Built, BuildError> {
    let dir = tempfile::Builder::new()
        .prefix("ecship-build-")
        .tempdir()
        .map_err(|e| BuildError::Run { builder: builder.command(), detail: e.to_string() })?;
    // Fargate runs linux/amd64 unless the service says arm64; a build on another machine
    // must not push an image it cannot run.
    let mut args: Vec<String> = vec!["--platform".into(), spec.platform.unwrap_or("linux/amd64").into()];
    args.push("-f".into());
    args.push(spec.dockerfile.display().to_string());
    if let Some(t) = spec.target {
        args.extend(["--target".into(), t.to_string()]);
    }
    for (k, v) in spec.args {
        args.extend(["--build-arg".into(), format!("{k}={v}")]);
    }
    let image = match builder {
        Builder::Buildah | Builder::Podman => {
            let iid = dir.path().join("image-id");
            let verb = if builder == Builder::Buildah { "bud" } else { "build" };
            let mut build: Vec<String> = vec![verb.into(), "--timestamp".into(), spec.timestamp.to_string()];
            build.extend(args);
            build.extend(["--iidfile".into(), iid.display().to_string(), spec.context.display().to_string()]);
            run(builder, spec.service, &build, None).await?;
            let id = std::fs::read_to_string(&iid)
                .map_err(|e| BuildError::Run { builder: builder.command(), detail: format!("no image id after the build: {e}") })?;
            let layout_dir: PathBuf = dir.path().join("layout");
            run(builder, spec.service, &["push".into(), id.trim().to_string(), format!("oci:{}", layout_dir.display())], None).await?;
            layout::read_dir(&layout_dir)?
        }
        Builder::Docker => {
            let tar = dir.path().join("image.tar");
            let mut build: Vec<String> = vec!["buildx".into(), "build".into()];
            build.extend(args);
            build.extend(["--output".into(), format!("type=oci,dest={}", tar.display()), spec.context.display().to_string()]);
            run(builder, spec.service, &build, Some(spec.timestamp)).await?;
            layout::read_archive(&tar)?
        }
    };
    Ok(Built { image, builder, _dir: dir })
}

async fn run(builder: Builder, service: &str, args: &[String], source_date_epoch: Option<u64>) -> Result<(), BuildError> {
    let mut cmd = tokio::process::Command::new(builder.command());
    if let Some(t) = source_date_epoch {
        // BuildKit's reproducible-build convention.
        cmd.env("SOURCE_DATE_EPOCH", t.to_string());
    }
    let status = cmd
        .args(args)
        .stdin(Stdio::null())
        // The builder's progress goes to stderr: stdout is ecship's (JSON with --output json).
        .stdout(Stdio::from(std::io::stderr()))
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|e| BuildError::Run { builder: builder.command(), detail: e.to_string() })?;
    if status.success() {
        Ok(())
    } else {
        let hint = if builder == Builder::Docker {
            " (exporting an OCI image needs a BuildKit builder: `docker buildx create --use`, or the containerd image store)"
        } else {
            ""
        };
        Err(BuildError::Failed { service: service.to_string(), builder: builder.command(), status: status.to_string(), hint })
    }
}
