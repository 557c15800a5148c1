//! The fault-injecting proxy (tests/faults/proxy.py) in front of an upstream (the emulator or
//! a registry) on a free port, stopped when the handle drops.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct FaultProxy {
    pub url: String,
    port: u16,
    child: Child,
}

impl FaultProxy {
    /// Proxy `upstream` with the proxy's options (`--rate 0.2`, `--delay ModifyRule=2`, …).
    pub fn start(upstream: &str, options: &[&str]) -> Self {
        let python = crate::common::venv_tool("python");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(python)
            .arg(crate::common::root().join("tests/faults/proxy.py"))
            .arg(port.to_string())
            .arg(upstream)
            .args(options)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fault proxy starts");
        let mut proxy = Self { url: format!("http://127.0.0.1:{port}"), port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while proxy.report().is_none() {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                panic!("the fault proxy exited with {status}: run scripts/setup");
            }
            assert!(Instant::now() < deadline, "the fault proxy did not answer on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        proxy
    }

    /// What it injected: `{"forwarded": n, "faults": {"throttle": n, …}, "by_operation": {…}}`.
    pub fn report(&self) -> Option<serde_json::Value> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET /__faults HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        serde_json::from_str(text.split("\r\n\r\n").nth(1)?).ok()
    }

    /// Arm a fault while a run goes on (`{"ops": ["ModifyRule"], "kind": "expired", "after": 1,
    /// "times": 3}`; see tests/faults/proxy.py); `{}` disarms.
    pub fn arm(&self, fault: &serde_json::Value) {
        let body = fault.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("the fault proxy answers");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("a timeout");
        write!(
            s,
            "POST /__faults HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("the fault proxy takes the request");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("its answer");
        assert!(text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"), "the fault proxy refused {body}: {text}");
    }

    /// Faults injected in all.
    pub fn injected(&self) -> u64 {
        self.report().and_then(|r| r["faults"].as_object().map(|f| f.values().filter_map(|v| v.as_u64()).sum())).unwrap_or(0)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
