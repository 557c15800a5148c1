"""A fault-injecting HTTP proxy for ecship's reliability tests: between ecship and the AWS
emulator (or the OCI registry), it fails, drops or delays requests as AWS and flaky networks
do, so the tests can show that ecship retries what is safe to retry and still converges.

Usage: python tests/faults/proxy.py PORT UPSTREAM_URL [options]

  --rate R            share of requests that fail (0 to 1; default 0)
  --kinds K,...       how they fail, each in the service's own error format: throttle
                      (400 Throttling from JSON and query APIs, 429 ThrottlingException from
                      REST-JSON ones, 503 SlowDown from S3, 429 from a registry), 5xx (500/503),
                      drop (connection closed without an answer),
                      drop-after (the request reaches the upstream and takes effect, but the
                      answer is lost: the connection is closed instead), expired (AWS refusing
                      credentials that expired: ExpiredToken, which SDKs do not retry);
                      default throttle, 5xx and drop
  --ops OP,...        fail only these operations (AWS action names, e.g. CreateStack);
                      default any
  --max-in-a-row N    never fail one operation more than N times in a row (default 3), so
                      a client that makes enough attempts always gets through
  --burst N           faults come in bursts, as AWS throttles under load: a fault that
                      strikes an operation strikes its next N-1 requests too, with the same
                      kind, before one goes through (default 1: independent faults; a burst
                      may run past --max-in-a-row)
  --delay OP=SECONDS  answer OP (an AWS action name, e.g. ModifyRule) that much later; the
                      request has taken effect by then. Repeatable.
  --seed S            random seed (default 1)

Faults but drop-after are injected before a request reaches the upstream: it has no effect.
Nothing under
/__faults is forwarded: GET /__faults answers with what was injected, as JSON
({"forwarded": n, "faults": {"throttle": n, ...}, "by_operation": {...},
"forwarded_by_operation": {...}, "longest_burst": n}): faults and forwarded requests per
operation, and the most faults one operation met in a row.

Forwarded answers carry the upstream's headers as they came (its `Date` included: the
emulator's clock, not the proxy's); only injected faults are dated by the proxy.

A test can also arm a fault while a run goes on — fail a call mid-bake, or the second of two
writes — with POST /__faults and a JSON body:

  {"ops": ["ModifyRule"], "kind": "expired", "after": 1, "times": 3}

The next `after` calls of those operations pass, then `times` of them fail (every one from
then on when `times` is null or left out) with `kind` (one of --kinds' values). An armed fault
comes before --rate, and --max-in-a-row does not bound it. POST /__faults with {} disarms.
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

KINDS = ("throttle", "5xx", "drop", "drop-after", "expired")
EXPIRED = "The security token included in the request is expired"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Faults:
    def __init__(self, rate: float, kinds: list, ops: set, max_in_a_row: int, delays: dict, seed: int, burst: int = 1) -> None:
        self.rate = rate
        self.ops = ops
        self.kinds = kinds
        self.burst = max(1, burst)
        self.max_in_a_row = max(max_in_a_row, self.burst)
        self.delays = delays
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.in_a_row: dict = {}
        self.last_kind: dict = {}
        self.forwarded = 0
        self.counts: dict = {}
        self.by_operation: dict = {}
        self.forwarded_by_operation: dict = {}
        self.longest_burst = 0
        # Armed by POST /__faults: {"ops": set, "kind": str, "after": int, "times": int | None}.
        self.armed: Optional[dict] = None

    def arm(self, spec: dict) -> None:
        with self.lock:
            if not spec:
                self.armed = None
                return
            kind = spec.get("kind", "5xx")
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
            times = spec.get("times")
            self.armed = {"ops": set(spec.get("ops", [])), "kind": kind, "after": int(spec.get("after", 0)), "times": times}

    def _armed(self, operation: str) -> Optional[str]:
        armed = self.armed
        if armed is None or (armed["ops"] and operation not in armed["ops"]):
            return None
        if armed["after"] > 0:
            armed["after"] -= 1
            return None
        if armed["times"] is not None:
            if armed["times"] <= 0:
                return None
            armed["times"] -= 1
        return armed["kind"]

    def _count(self, operation: str, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        return kind

    def decide(self, operation: str) -> Optional[str]:
        with self.lock:
            armed = self._armed(operation)
            if armed is not None:
                return self._count(operation, armed)
            streak = self.in_a_row.get(operation, 0)
            chosen = not self.ops or operation in self.ops
            if streak % self.burst:
                # A burst under way strikes again, the same way.
                return self.fault(operation, streak, self.last_kind[operation])
            if chosen and self.rate > 0 and streak + self.burst <= self.max_in_a_row and self.random.random() < self.rate:
                return self.fault(operation, streak, self.random.choice(self.kinds))
            self.in_a_row[operation] = 0
            self.forwarded += 1
            self.forwarded_by_operation[operation] = self.forwarded_by_operation.get(operation, 0) + 1
            return None

    def fault(self, operation: str, streak: int, kind: str) -> str:
        self.in_a_row[operation] = streak + 1
        self.longest_burst = max(self.longest_burst, streak + 1)
        self.last_kind[operation] = kind
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        return kind

    def report(self) -> bytes:
        with self.lock:
            return json.dumps(
                {
                    "forwarded": self.forwarded,
                    "faults": self.counts,
                    "by_operation": self.by_operation,
                    "forwarded_by_operation": self.forwarded_by_operation,
                    "longest_burst": self.longest_burst,
                }
            ).encode()


def operation(method: str, path: str, headers, body: bytes) -> str:
    """The AWS action (JSON protocols name it in X-Amz-Target, query ones in the form body),
    or METHOD PATH-KIND for a registry."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    parts = path.split("?")[0].rstrip("/").split("/")
    kind = next((p for p in reversed(parts) if p in ("blobs", "uploads", "manifests")), parts[-1] if parts else "")
    return f"{method} {kind}"


def wire_protocol(path: str, headers, body: bytes) -> str:
    """How the service answers errors: awsJson (X-Amz-Target), query (Action= in the form),
    the OCI registry (/v2/), S3's REST-XML, or REST-JSON (the SigV4 scope names the service)."""
    if headers.get("X-Amz-Target"):
        return "json"
    if "Action=" in body[:200].decode("latin-1"):
        return "query"
    if path.startswith("/v2/") or path == "/v2":
        return "registry"
    scope = (headers.get("Authorization") or "").split("Credential=")[-1].split(",")[0].split("/")
    service = scope[3] if len(scope) > 3 else ""
    if not service:
        return "registry"
    return "rest-xml" if service == "s3" else "rest-json"


def error(handler: "Proxy", kind: str, protocol: str) -> None:
    if kind == "drop":
        handler.close_connection = True
        try:
            handler.connection.shutdown(2)
        except OSError:
            pass
        return
    if kind == "expired":
        expired(handler, protocol)
        return
    if protocol == "rest-json":
        # REST-JSON services (EventBridge Scheduler, Application Auto Scaling's peers) name the
        # error in `x-amzn-ErrorType`, throttling with 429.
        status, ctype = (429, "application/json") if kind == "throttle" else (500, "application/json")
        code = "ThrottlingException" if kind == "throttle" else "InternalServerException"
        data = json.dumps({"message": "injected"}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("x-amzn-ErrorType", code)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return
    if protocol == "rest-xml":
        # S3 asks to slow down with 503 SlowDown.
        status, ctype = 503, "application/xml"
        body = "<Error><Code>SlowDown</Code><Message>injected</Message><RequestId>injected</RequestId></Error>" if kind == "throttle" else "<Error><Code>InternalError</Code><Message>injected</Message><RequestId>injected</RequestId></Error>"
        if kind != "throttle":
            status = 500
    elif protocol == "registry":
        status, ctype = (429, "application/json") if kind == "throttle" else (503, "application/json")
        body = json.dumps({"errors": [{"code": "TOOMANYREQUESTS" if kind == "throttle" else "UNAVAILABLE", "message": "injected"}]})
    elif protocol == "json":
        status, ctype = (400, "application/x-amz-json-1.1") if kind == "throttle" else (500, "application/x-amz-json-1.1")
        body = json.dumps({"__type": "ThrottlingException" if kind == "throttle" else "InternalFailure", "message": "injected"})
    else:
        status, ctype = (400, "text/xml") if kind == "throttle" else (503, "text/xml")
        code = "Throttling" if kind == "throttle" else "ServiceUnavailable"
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def expired(handler: "Proxy", protocol: str) -> None:
    """AWS refusing credentials that expired, in the service's own error format."""
    headers = {}
    if protocol == "json":
        status, ctype = 400, "application/x-amz-json-1.1"
        body = json.dumps({"__type": "ExpiredTokenException", "message": EXPIRED})
    elif protocol == "rest-json":
        status, ctype = 403, "application/json"
        headers["x-amzn-ErrorType"] = "ExpiredTokenException"
        body = json.dumps({"message": EXPIRED})
    elif protocol == "rest-xml":
        status, ctype = 400, "application/xml"
        body = f"<Error><Code>ExpiredToken</Code><Message>{EXPIRED}</Message><RequestId>injected</RequestId></Error>"
    elif protocol == "registry":
        status, ctype = 401, "application/json"
        body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
    else:
        status, ctype = 400, "text/xml"
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>{EXPIRED}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
    data = body.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    faults: Faults
    upstream: urllib.parse.SplitResult

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        return

    def body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self) -> None:
        body = self.body()
        if self.path.startswith("/__faults"):
            status, data = 200, b""
            if self.command == "POST":
                try:
                    self.faults.arm(json.loads(body or b"{}"))
                except (ValueError, AttributeError, TypeError) as e:
                    status, data = 400, json.dumps({"error": str(e)}).encode()
            data = data or self.faults.report()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        op = operation(self.command, self.path, self.headers, body)
        protocol = wire_protocol(self.path, self.headers, body)
        # The emulator's own API (readiness, state) is never faulted.
        kind = None if self.path.startswith("/moto-api") else self.faults.decide(op)
        if kind is not None and kind != "drop-after":
            error(self, kind, protocol)
            return
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=300)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if kind == "drop-after":
            error(self, "drop", protocol)
            return
        delay = self.faults.delays.get(op)
        if delay:
            time.sleep(delay)
        # The upstream's own Date and Server go through; the proxy adds none of its own.
        self.log_request(resp.status)
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main() -> None:
    parser = argparse.ArgumentParser(description="fault-injecting HTTP proxy")
    parser.add_argument("port", type=int)
    parser.add_argument("upstream")
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--kinds", default="throttle,5xx,drop")
    parser.add_argument("--ops", default="")
    parser.add_argument("--max-in-a-row", type=int, default=3)
    parser.add_argument("--delay", action="append", default=[])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--burst", type=int, default=1)
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if any(k not in KINDS for k in kinds) or not 0 <= args.rate <= 1 or args.burst < 1:
        sys.exit(f"--kinds takes {', '.join(KINDS)}; --rate is between 0 and 1; --burst is 1 or more")
    delays = {}
    for d in args.delay:
        op, _, secs = d.partition("=")
        delays[op] = float(secs)
    ops = {o for o in args.ops.split(",") if o}
    Proxy.faults = Faults(args.rate, kinds, ops, args.max_in_a_row, delays, args.seed, args.burst)
    Proxy.upstream = urllib.parse.urlsplit(args.upstream)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
