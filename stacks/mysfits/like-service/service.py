"""Mythical Mysfits like service: forwards likes to the monolith, which records them."""
import json
import logging
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MONOLITH_URL = os.environ["MONOLITH_URL"]
logging.basicConfig(level=os.environ.get("LOGLEVEL", "info").upper())


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200 if self.path == "/" else 404, {"service": "like"})

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "mysfits" or parts[2] != "like":
            self._send(404, {"error": "not found"})
            return
        request = urllib.request.Request(f"{MONOLITH_URL}/mysfits/{parts[1]}/like", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            logging.info("like for %s forwarded: %s", parts[1], response.status)
            self._send(response.status, json.loads(response.read()))


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "80"))), Handler).serve_forever()
