//! The setup every command that calls AWS shares: one runtime, one connection, progress
//! shown while a verb runs, and the one way a verb that runs until Ctrl-C ends as an exit
//! code (interrupted, failed, or its result for the command to render).
//! Opened once a command's own checks and questions are done, so they come before AWS does.

use crate::aws::{self, Access, Aws};
use crate::events::Reporter;
use crate::exit;
use crate::ops::Ended;
use crate::report::{progress, Report};

use super::Global;

/// A command's runtime and its connection to AWS.
pub(super) struct Session {
    runtime: tokio::runtime::Runtime,
    pub(super) aws: Aws,
}

impl Session {
    /// Connect in the region `--region`, the profile or the spec (`spec_region`) names.
    pub(super) fn open(global: &Global<'_>, spec_region: Option<&str>) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let access = Access {
            region: global.region.map(str::to_string),
            profile: global.profile.map(str::to_string),
            spec_region: spec_region.map(str::to_string),
        };
        let aws = runtime.block_on(aws::connect(&access))?;
        Ok(Self { runtime, aws })
    }

    /// One call that shows no progress.
    pub(super) fn call<T>(&self, work: impl AsyncFnOnce(&Aws) -> T) -> T {
        self.runtime.block_on(work(&self.aws))
    }

    /// One call with its progress shown (spinners on a terminal, lines in CI, JSON lines),
    /// the display finished before it returns.
    pub(super) fn progress<T>(&self, json: bool, work: impl AsyncFnOnce(&Aws, &dyn Reporter) -> T) -> T {
        let reporter = progress::reporter(json);
        // Calls waiting to be retried say so on the same display.
        self.aws.report_to(&reporter);
        self.runtime.block_on(work(&self.aws, reporter.as_ref()))
    }

    /// A verb that runs until Ctrl-C, with its progress shown, and how it ended said: an
    /// interruption as the `interrupted` error, a failure reported with its exit code
    /// (`code`). What it finished with, or `Err(exit code)`.
    pub(super) fn run<T, E>(
        &self,
        report: &mut Report,
        interrupted: &str,
        code: fn(&E) -> u8,
        work: impl AsyncFnOnce(&Aws, &dyn Reporter) -> Ended<Result<T, E>>,
    ) -> Result<T, u8>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        match self.progress(report.json(), work) {
            Ended::Finished(Ok(done)) => Ok(done),
            Ended::Finished(Err(e)) => {
                let code = code(&e);
                report.error(&anyhow::Error::new(e));
                Err(code)
            }
            Ended::Interrupted => {
                report.error(&anyhow::Error::msg(interrupted.to_string()));
                Err(exit::INTERRUPTED)
            }
        }
    }
}
