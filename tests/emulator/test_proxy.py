"""Checks for the fault-injecting proxy (tests/faults/proxy.py): faults armed while a run goes
on (POST /__faults), and AWS's refusal of expired credentials in each wire protocol.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROXY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "faults", "proxy.py")


class Upstream(BaseHTTPRequestHandler):
    """Answers every request 200, as a service that took it."""

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        return


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=cls.upstream.serve_forever, daemon=True).start()
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        cls.proc = subprocess.Popen([sys.executable, PROXY, str(port), f"http://127.0.0.1:{cls.upstream.server_port}"])
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{cls.url}/__faults", timeout=1)
                break
            except OSError:
                if cls.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the proxy did not start")
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.upstream.shutdown()

    def request(self, body: bytes, headers: dict, path: str = "/") -> tuple:
        req = urllib.request.Request(f"{self.url}{path}", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def arm(self, fault: dict) -> int:
        return self.request(json.dumps(fault).encode(), {"Content-Type": "application/json"}, "/__faults")[0]

    def query(self, action: str) -> tuple:
        return self.request(f"Action={action}&Version=2015-12-01".encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    def test_an_armed_fault_lets_calls_pass_then_fails_as_many_as_asked(self) -> None:
        self.assertEqual(self.arm({"ops": ["ModifyRule"], "kind": "expired", "after": 1, "times": 2}), 200)
        answers = [self.query("ModifyRule") for _ in range(4)]
        self.assertEqual([a[0] for a in answers], [200, 400, 400, 200])
        self.assertIn("<Code>ExpiredToken</Code>", answers[1][1])
        self.assertEqual(self.query("DescribeRules")[0], 200, "other operations pass")
        report = json.loads(urllib.request.urlopen(f"{self.url}/__faults", timeout=5).read())
        self.assertGreaterEqual(report["by_operation"]["ModifyRule"], 2)

    def test_an_armed_fault_without_times_fails_until_disarmed(self) -> None:
        self.assertEqual(self.arm({"ops": ["DescribeServices"], "kind": "expired"}), 200)
        json_call = {"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices", "Content-Type": "application/x-amz-json-1.1"}
        for _ in range(3):
            status, body, _ = self.request(b"{}", json_call)
            self.assertEqual((status, json.loads(body)["__type"]), (400, "ExpiredTokenException"))
        self.assertEqual(self.arm({}), 200)
        self.assertEqual(self.request(b"{}", json_call)[0], 200)

    def test_an_unknown_kind_is_refused(self) -> None:
        self.assertEqual(self.arm({"kind": "gremlins"}), 400)
        self.assertEqual(self.arm({}), 200)


if __name__ == "__main__":
    unittest.main()
