//! Where a rollout's HTTP check (`deploy.check`) goes, and one probe of it: the load
//! balancer's URL with the service's route's host (as `Host`, or over TLS as the name asked
//! for and verified, while connecting to the load balancer), the spec's `check.url`, or an
//! endpoint given instead (`--check-endpoint`). A probe that finds no one to answer at an
//! internal load balancer's address is told apart from a failing service
//! (`HttpCheck::out_of_reach`). A check that goes through a test rule sends the header value
//! read back from the rule (`test_route`), which is shown nowhere.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::aws::elbv2::Elbv2;
use crate::aws::AwsError;
use crate::model::{Check, LbName, Model, Service, COLOUR_HEADER};
use crate::workload::outputs::StackOutputs;
use crate::workload::TestRoute;

/// Where the HTTP check goes: the load balancer's URL (with the route's host, when it has
/// one), the spec's `check.url`, or an endpoint given instead.
#[derive(Clone)]
pub struct HttpCheck {
    pub base: String,
    /// The `Host` header: the service's route's host, so that host-based rules match.
    host: Option<String>,
    /// An internal load balancer's own URL: reachable only from inside its VPC (or through
    /// a VPN or peering), which a CI runner often is not.
    pub internal: bool,
    http: reqwest::Client,
}

/// Why a probe did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub why: String,
    /// No answer at all: the name did not resolve, or no connection (a load balancer that
    /// is reached always answers, if only with 502 or 503).
    pub unreachable: bool,
}

impl HttpCheck {
    pub fn new(base: &str) -> Option<Self> {
        let http = crate::http::client(reqwest::Client::builder().timeout(Duration::from_secs(5))).ok()?;
        Some(Self { base: base.trim_end_matches('/').to_string(), host: None, internal: false, http })
    }

    /// Whether `miss` says the check cannot run from here at all: an internal load balancer
    /// this run does not reach. Then only target health gates the rollout.
    pub fn out_of_reach(&self, miss: &Miss) -> bool {
        self.internal && miss.unreachable
    }

    /// What to tell when the check cannot run from here.
    pub fn out_of_reach_warning(&self, service: &str, miss: &Miss) -> String {
        format!(
            "{service}: the HTTP check cannot reach the internal load balancer from here ({}): only target health and stopped tasks gate this rollout — set check.url, or --check-endpoint to an address this runner reaches",
            miss.why
        )
    }

    /// What a probe of `path` requests, for people: `URL`, `URL (Host: HOST)`, or over TLS
    /// `https://HOST:PORT/PATH (through ADDRESS)`.
    pub fn target(&self, path: &str) -> String {
        match (&self.host, self.base.strip_prefix("https://")) {
            (Some(h), Some(authority)) => {
                let port = authority.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).unwrap_or(443);
                format!("https://{h}:{port}{path} (through {authority})")
            }
            (Some(h), None) => format!("{}{path} (Host: {h})", self.base),
            (None, _) => format!("{}{path}", self.base),
        }
    }

    /// `Ok(())` when the answer has the expected status; else what came back. `route`: the
    /// test route to a colour (or revision) to reach through its test rule, not the live
    /// traffic; its header's value is sent, and shown nowhere.
    pub async fn probe(&self, path: &str, expect: u16, route: Option<&TestRoute>) -> Result<(), Miss> {
        let mut to = String::new();
        let (url, mut request) = match (&self.host, self.base.strip_prefix("https://")) {
            // Over TLS the route's host is the name asked for (SNI) and the one the
            // certificate must be for, while the connection goes where `base` points.
            (Some(h), Some(authority)) => {
                let port = authority.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).unwrap_or(443);
                let url = format!("https://{h}:{port}{path}");
                let client =
                    self.through(h, authority, port).await.map_err(|e| Miss { why: format!("GET {url}: {e}"), unreachable: true })?;
                to.push_str(&format!(" (through {authority})"));
                (url.clone(), client.get(&url))
            }
            (Some(h), None) => {
                to.push_str(&format!(" (Host: {h})"));
                let url = format!("{}{path}", self.base);
                (url.clone(), self.http.get(&url).header(reqwest::header::HOST, h))
            }
            (None, _) => {
                let url = format!("{}{path}", self.base);
                (url.clone(), self.http.get(&url))
            }
        };
        if let Some(route) = route {
            to.push_str(&format!(" ({COLOUR_HEADER}: {}, to {})", route.value, route.reaches));
            let Ok(mut value) = reqwest::header::HeaderValue::from_str(route.value.expose()) else {
                let why = format!("GET {url}{to}: the test rule's {COLOUR_HEADER} value is no HTTP header value — run `ecship deploy` to put the rule back");
                return Err(Miss { why, unreachable: false });
            };
            value.set_sensitive(true);
            request = request.header(COLOUR_HEADER, value);
        }
        match request.send().await {
            Ok(resp) if resp.status().as_u16() == expect => Ok(()),
            Ok(resp) => Err(Miss { why: format!("GET {url}{to}: {}, expected {expect}", resp.status().as_u16()), unreachable: false }),
            Err(e) => {
                let unreachable = e.is_connect() || e.is_timeout();
                Err(Miss { why: format!("GET {url}{to}: {}", crate::http::chain(&e.without_url())), unreachable })
            }
        }
    }

    /// Probe until a pass, `check.failures` failures in a row, or `timeout`; at once when the
    /// check cannot run from here (`out_of_reach`). `route` as `probe` takes it.
    pub async fn until(&self, check: &Check, timeout: Duration, route: Option<&TestRoute>) -> Result<(), Miss> {
        let started = Instant::now();
        let mut in_a_row = 0;
        loop {
            match self.probe(&check.path, check.expect, route).await {
                Ok(()) => return Ok(()),
                Err(miss) if self.out_of_reach(&miss) => return Err(miss),
                Err(miss) => {
                    in_a_row += 1;
                    if in_a_row >= check.failures || started.elapsed() >= timeout {
                        let n = if in_a_row == 1 { String::new() } else { format!(" ({in_a_row} times in a row)") };
                        return Err(Miss { why: format!("{}{n}", miss.why), ..miss });
                    }
                }
            }
            tokio::time::sleep(check.interval).await;
        }
    }

    /// A client that sends `host`'s requests to the addresses `authority` resolves to.
    async fn through(&self, host: &str, authority: &str, port: u16) -> Result<reqwest::Client, String> {
        let target = if authority.contains(':') { authority.to_string() } else { format!("{authority}:{port}") };
        let addrs: Vec<std::net::SocketAddr> =
            tokio::net::lookup_host(&target).await.map_err(|e| format!("cannot resolve {authority}: {e}"))?.collect();
        crate::http::client(reqwest::Client::builder().timeout(Duration::from_secs(5)).resolve_to_addrs(host, &addrs))
            .map_err(|e| e.to_string())
    }
}

/// The test route through `rule` (a test rule's ARN) to what it `reaches` (`web-green`):
/// its header's value read back from the rule, as CloudFormation resolved it.
pub async fn test_route(elbv2: &Elbv2, rule: &str, reaches: String) -> Result<TestRoute, AwsError> {
    match elbv2.header_value(rule, COLOUR_HEADER).await? {
        Some(value) => Ok(TestRoute { reaches, value }),
        None => Err(AwsError::Other(format!(
            "the test rule of {reaches} ({rule}) has no {COLOUR_HEADER} condition: it was changed outside ecship — run `ecship deploy` to put it back"
        ))),
    }
}

/// Where each service's HTTP checks go: an endpoint given instead (`--check-endpoint`), else
/// the spec's `check.url`, else its load balancer's URL with its route's host.
pub struct Checks {
    endpoint: Option<HttpCheck>,
    by_lb: BTreeMap<LbName, HttpCheck>,
}

impl Checks {
    pub fn new(endpoint: Option<&str>, outputs: &StackOutputs, model: &Model) -> Self {
        let by_lb = model
            .load_balancers
            .values()
            .filter_map(|lb| Some((lb.name.clone(), HttpCheck { internal: !lb.public, ..HttpCheck::new(outputs.lb_url(&lb.name)?)? })))
            .collect();
        Self { endpoint: endpoint.and_then(HttpCheck::new), by_lb }
    }

    pub fn of(&self, svc: &Service) -> Option<HttpCheck> {
        // A host pattern with wildcards names no one host to send.
        let host = svc.routes.first().and_then(|r| r.host.clone()).filter(|h| !h.contains(['*', '?']));
        // An endpoint given instead stands in for the load balancer: the route's host goes too.
        if let Some(e) = &self.endpoint {
            return Some(HttpCheck { host, ..e.clone() });
        }
        if let Some(origin) = svc.deploy.check.as_ref().and_then(|c| c.origin.as_deref()) {
            return HttpCheck::new(origin);
        }
        let lb = svc.load_balancer.as_ref().and_then(|lb| self.by_lb.get(lb))?;
        Some(HttpCheck { host, ..lb.clone() })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::HttpCheck;

    /// A server that answers 200 and hands back the request it read.
    fn server() -> (String, std::sync::mpsc::Receiver<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let _ = tx.send(String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase());
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn a_check_through_the_load_balancer_sends_the_routes_host() {
        let (url, request) = server();
        let lb = HttpCheck::new(&url).expect("a client");
        let check = HttpCheck { host: Some("shop.example.com".into()), ..lb };
        assert_eq!(check.probe("/health", 200, None).await, Ok(()));
        let sent = request.recv().expect("the request");
        assert!(sent.starts_with("get /health http/1.1"), "{sent}");
        assert!(sent.contains("\r\nhost: shop.example.com\r\n"), "host-based rules match on it: {sent}");
    }
}
