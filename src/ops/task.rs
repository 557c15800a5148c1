//! One-off tasks — a job's run, a deploy's `before` step, `ecship run`: started with RunTask
//! in the stack's network, their log stream followed as it grows, waited for until they
//! stop, and stopped when they outlast their timeout.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::aws::ecs::Ecs;
use crate::aws::logs::Logs;
use crate::aws::{Aws, AwsError};
use crate::events::{Event, Reporter};
use crate::workload::{revision_name, LogConfig, Network, TaskRun};

/// How many of its last log lines a finished run keeps (to show when it failed).
pub const LAST_LINES: usize = 20;

/// What to run.
pub struct OneOff<'a> {
    /// The job or service it runs for.
    pub label: &'a str,
    pub cluster: &'a str,
    pub task_definition: &'a str,
    /// The container (named like the job or service).
    pub container: &'a str,
    /// Instead of the image's command.
    pub command: Option<&'a [String]>,
    pub network: &'a Network,
    /// The task definition's log settings, to follow its stream.
    pub log: Option<&'a LogConfig>,
    pub timeout: Duration,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Ran {
    pub task: TaskRun,
    /// Stopped by ecship after its timeout.
    pub timed_out: bool,
    /// Its last log lines, oldest first.
    pub last_lines: Vec<String>,
}

impl Ran {
    /// Exited 0 in time.
    pub fn succeeded(&self) -> bool {
        !self.timed_out && self.task.exit_code == Some(0)
    }

    /// Why it did not succeed, in a few words.
    pub fn failure(&self) -> String {
        let reason = self.task.stopped_reason.as_deref().unwrap_or("stopped");
        match (self.timed_out, self.task.exit_code) {
            (true, _) => format!("stopped after its timeout ({reason})"),
            (false, Some(code)) => format!("exit code {code} ({reason})"),
            (false, None) => format!("no exit code: {reason}"),
        }
    }
}

/// Run `one` to its end, passing each new log line to `on_line` as it arrives. Returns once
/// ECS reports the task STOPPED.
pub async fn run(aws: &Aws, one: &OneOff<'_>, on_line: &mut dyn FnMut(&str), r: &dyn Reporter) -> Result<Ran, AwsError> {
    let ecs = Ecs::new(aws);
    let started = ecs.run_task(one.cluster, one.task_definition, one.network, one.container, one.command, "ecship").await?;
    r.event(&Event::Step { message: format!("run: {}: task {} of {} started", one.label, started.id, revision_name(one.task_definition)) });
    follow(aws, one, &started, on_line, r).await
}

/// Follow a started task to its end (see `run`).
pub async fn follow(
    aws: &Aws,
    one: &OneOff<'_>,
    started: &TaskRun,
    on_line: &mut dyn FnMut(&str),
    r: &dyn Reporter,
) -> Result<Ran, AwsError> {
    let (ecs, logs) = (Ecs::new(aws), Logs::new(aws));
    let stream = one.log.map(|l| (l.group.clone(), format!("{}/{}/{}", l.stream_prefix, one.container, started.id)));
    let mut token = None;
    let mut last: VecDeque<String> = VecDeque::new();
    let mut read = |events: Vec<crate::aws::logs::LogEvent>, last: &mut VecDeque<String>| {
        for e in events {
            on_line(&e.message);
            last.push_back(e.message);
            if last.len() > LAST_LINES {
                last.pop_front();
            }
        }
    };
    let began = Instant::now();
    let mut timed_out = false;
    let mut delay = Duration::from_millis(500);
    loop {
        let task = ecs.task(one.cluster, &started.arn).await?;
        if let Some((group, stream)) = &stream {
            let (events, next) = logs.stream(group, stream, token.take()).await?;
            read(events, &mut last);
            token = next;
        }
        let Some(task) = task else {
            return Err(AwsError::Other(format!("task {} of {} is gone: ECS no longer reports it", started.id, one.label)));
        };
        if task.stopped() {
            // Lines the task wrote just before it stopped.
            if let Some((group, stream)) = &stream {
                let (events, _) = logs.stream(group, stream, token.take()).await?;
                read(events, &mut last);
            }
            return Ok(Ran { task, timed_out, last_lines: last.into() });
        }
        if !timed_out && began.elapsed() > one.timeout {
            let after = humantime::format_duration(one.timeout);
            r.event(&Event::Warning {
                message: format!("run: {}: task {} still running after {after}: stopping it", one.label, started.id),
            });
            ecs.stop_task(one.cluster, &started.arn, &format!("ecship: still running after its timeout ({after})")).await?;
            timed_out = true;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
