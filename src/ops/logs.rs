//! `logs`: the CloudWatch Logs of a stack's services and jobs (the stack's log group; each
//! task's stream is `NAME/CONTAINER/TASK_ID`), interleaved by time, page by page so nothing
//! is held whole. `--follow` reads on from the newest line seen, a little back in time (lines
//! can arrive late), skipping lines already printed by their event id: no gaps, no
//! duplicates.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::interrupt::{until_interrupted, Ended};
use super::run::Runnable;
use super::Error;
use crate::aws::cloudformation::Stacks;
use crate::aws::logs::{Filter, LogEvent, Logs};
use crate::aws::Aws;
use crate::stack::Compiled;
use crate::workload::outputs::StackOutputs;

/// How far back each `--follow` read goes from the newest line seen.
const LATE: Duration = Duration::from_secs(10);
/// Between `--follow` reads.
const POLL: Duration = Duration::from_secs(1);

/// One line, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// The service or job.
    pub name: String,
    /// The task's id (`task` is its first 8 characters, as shown).
    pub task: String,
    pub message: String,
}

impl LogLine {
    fn of(e: LogEvent) -> Self {
        let mut parts = e.stream.splitn(3, '/');
        let name = parts.next().unwrap_or_default().to_string();
        let task = parts.nth(1).unwrap_or_default().to_string();
        LogLine { at: e.at, name, task, message: e.message }
    }

    pub fn short_task(&self) -> &str {
        self.task.get(..8).unwrap_or(&self.task)
    }
}

/// What to read.
pub struct Query<'a> {
    /// Services and jobs (all of the spec's when empty).
    pub names: &'a [String],
    pub since: Duration,
    pub pattern: Option<String>,
    pub follow: bool,
}

/// Where lines go. A write that fails (a closed pipe: `ecship logs | head`) ends the read.
pub trait Sink {
    fn line(&mut self, l: LogLine) -> std::io::Result<()>;
    /// The end of a page: what was written should show now.
    fn flush(&mut self) -> std::io::Result<()>;
}

/// Print the lines `q` asks for through `out`, until done or (with `follow`) Ctrl-C.
pub async fn run(aws: &Aws, c: &Compiled, q: &Query<'_>, out: &mut dyn Sink) -> Ended<Result<(), Error>> {
    until_interrupted(read(aws, c, q, out)).await
}

async fn read(aws: &Aws, c: &Compiled, q: &Query<'_>, out: &mut dyn Sink) -> Result<(), Error> {
    let m = &c.model;
    let stack = m.stack.to_string();
    for name in q.names {
        Runnable::find(m, name)?;
    }
    let Some(info) = Stacks::new(aws).describe(&stack).await? else { return Err(Error::NotDeployed { stack }) };
    let outputs = StackOutputs::parse(&stack, &info.outputs)?;
    let Some(group) = outputs.log_group else { return Err(Error::NotDeployed { stack }) };
    let names: BTreeSet<&str> = q.names.iter().map(String::as_str).collect();
    let filter = Filter {
        stream_prefix: (names.len() == 1).then(|| names.iter().map(|n| format!("{n}/")).collect()),
        pattern: q.pattern.clone(),
        start: Some(millis(SystemTime::now()) - q.since.as_millis() as i64),
    };
    let logs = Logs::new(aws);
    let mut follow = Follow::default();
    let mut filter = filter;
    loop {
        let mut token = None;
        loop {
            let page = logs.filter(&group, &filter, token.take()).await?;
            for e in page.events {
                let wanted = names.is_empty() || e.stream.split('/').next().is_some_and(|n| names.contains(n));
                if wanted && (!q.follow || follow.first_sight(&e)) && out.line(LogLine::of(e)).is_err() {
                    return Ok(());
                }
            }
            if out.flush().is_err() {
                return Ok(());
            }
            match page.next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        if !q.follow {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
        if let Some(newest) = follow.newest {
            filter.start = Some(newest - LATE.as_millis() as i64);
        }
    }
}

/// Lines already printed that a later read may return again: those of the last `LATE`.
#[derive(Default)]
struct Follow {
    newest: Option<i64>,
    seen: HashMap<String, i64>,
}

impl Follow {
    /// Whether `e` was not printed yet (remembering it).
    fn first_sight(&mut self, e: &LogEvent) -> bool {
        let key = if e.id.is_empty() { format!("{}/{}/{}", e.stream, e.at, e.message) } else { e.id.clone() };
        if self.seen.contains_key(&key) {
            return false;
        }
        let newest = self.newest.map_or(e.at, |n| n.max(e.at));
        self.newest = Some(newest);
        self.seen.insert(key, e.at);
        if self.seen.len() > 4096 {
            let horizon = newest - 2 * LATE.as_millis() as i64;
            self.seen.retain(|_, at| *at >= horizon);
        }
        true
    }
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, at: i64) -> LogEvent {
        LogEvent { at, stream: "web/web/0123456789abcdef".into(), message: format!("line {id}"), id: id.into() }
    }

    #[test]
    fn a_line_read_again_is_printed_once() {
        let mut f = Follow::default();
        assert!(f.first_sight(&event("a", 1_000)));
        assert!(f.first_sight(&event("b", 1_000)));
        assert!(!f.first_sight(&event("a", 1_000)));
        assert_eq!(f.newest, Some(1_000));
    }

    #[test]
    fn memory_of_lines_stays_bounded_to_the_late_window() {
        let mut f = Follow::default();
        for i in 0..10_000 {
            f.first_sight(&event(&i.to_string(), i * 100));
        }
        assert!(f.seen.len() <= 4096);
        // The last lines are still known, so a read a little back in time skips them.
        assert!(!f.first_sight(&event("9999", 999_900)));
    }

    #[test]
    fn a_line_names_its_service_and_task() {
        let l = LogLine::of(event("a", 5));
        assert_eq!((l.name.as_str(), l.short_task()), ("web", "01234567"));
    }
}
