"""Mythical Mysfits monolith: lists mysfits and records likes (in memory for the example)."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MYSFITS = {
    "1": {"mysfitId": "1", "name": "Evangeline", "species": "Chimera", "likes": 0},
    "2": {"mysfitId": "2", "name": "Pauly", "species": "Vampire", "likes": 0},
}


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/":
            self._send(200, {"message": "Nothing here, used for health check.", "table": os.environ.get("DDB_TABLE")})
        elif self.path == "/mysfits":
            self._send(200, {"mysfits": list(MYSFITS.values())})
        elif self.path.startswith("/mysfits/") and self.path.count("/") == 2:
            mysfit = MYSFITS.get(self.path.split("/")[2])
            self._send(200 if mysfit else 404, mysfit or {"error": "no such mysfit"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "mysfits" and parts[2] == "like" and parts[1] in MYSFITS:
            MYSFITS[parts[1]]["likes"] += 1
            self._send(200, {"update": "Success"})
        else:
            self._send(404, {"error": "not found"})


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "80"))), Handler).serve_forever()
