//! CloudWatch Logs through its API: the lines of one task's log stream as they arrive, and
//! the events of a log group across streams, filtered and in time order, page by page so
//! nothing is held whole.

use aws_sdk_cloudwatchlogs::Client;

use super::{classify, Aws, AwsError};

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub stream: String,
    pub message: String,
    /// CloudWatch's id of the event (equal timestamps are told apart by it).
    pub id: String,
}

/// A page of a group's events, and where the next one starts.
pub struct Page {
    pub events: Vec<LogEvent>,
    pub next: Option<String>,
}

/// What `filter` reads.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Streams whose names start with this (one service's or job's).
    pub stream_prefix: Option<String>,
    /// A CloudWatch Logs filter pattern.
    pub pattern: Option<String>,
    /// From this time on, milliseconds since the Unix epoch.
    pub start: Option<i64>,
}

pub struct Logs {
    client: Client,
}

impl Logs {
    pub fn new(aws: &Aws) -> Self {
        Self { client: aws.logs() }
    }

    /// The events of one stream after `token` (from its start without one), and the token to
    /// read on from. A stream that does not exist yet has no events.
    pub async fn stream(&self, group: &str, stream: &str, token: Option<String>) -> Result<(Vec<LogEvent>, Option<String>), AwsError> {
        let sent = self
            .client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok((Vec::new(), token)),
            Err(e) => return Err(classify(&format!("GetLogEvents {group} {stream}"), e)),
        };
        let events = out
            .events()
            .iter()
            .map(|e| LogEvent {
                at: e.timestamp().unwrap_or_default(),
                stream: stream.to_string(),
                message: e.message().unwrap_or_default().to_string(),
                id: String::new(),
            })
            .collect();
        // The forward token stays the same once the stream has nothing more (for now).
        Ok((events, out.next_forward_token().map(str::to_string).or(token)))
    }

    /// One page of a group's events, in time order across streams.
    pub async fn filter(&self, group: &str, filter: &Filter, token: Option<String>) -> Result<Page, AwsError> {
        let out = self
            .client
            .filter_log_events()
            .log_group_name(group)
            .set_log_stream_name_prefix(filter.stream_prefix.clone())
            .set_filter_pattern(filter.pattern.clone())
            .set_start_time(filter.start)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(&format!("FilterLogEvents {group}"), e))?;
        let events = out
            .events()
            .iter()
            .map(|e| LogEvent {
                at: e.timestamp().unwrap_or_default(),
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
                id: e.event_id().unwrap_or_default().to_string(),
            })
            .collect();
        Ok(Page { events, next: out.next_token().map(str::to_string) })
    }
}
