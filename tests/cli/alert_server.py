#!/usr/bin/env python3
"""A local stand-in for the alert services (Telegram, Discord, PagerDuty, a webhook) in
sm-alert's bats tests. It answers the requests in order with the responses of a script file
and records each request, and each answer it gave, as one JSON line in a log file.

usage: alert_server.py SCRIPT LOG
SCRIPT is JSON: {"responses": [{"status": 429, "headers": {...}, "body": "...",
"hold": false, "delay_ms": 0}, ...]}; the last response repeats. A response with "hold": true is
never answered (the request stays in flight, as when a service hangs); one with "delay_ms" is
answered that much later (a slow service). The server prints
{"port": N} on stdout once it listens on 127.0.0.1.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(sys.argv[1], encoding="utf-8") as f:
    RESPONSES = json.load(f)["responses"]
LOG = open(sys.argv[2], "a", encoding="utf-8")
LOCK = threading.Lock()
COUNT = [0]


def record(entry):
    with LOCK:
        LOG.write(json.dumps(entry) + "\n")
        LOG.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        with LOCK:
            n = COUNT[0]
            COUNT[0] += 1
        response = RESPONSES[min(n, len(RESPONSES) - 1)]
        record({"n": n, "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if response.get("hold"):
            time.sleep(3600)
            return
        time.sleep(response.get("delay_ms", 0) / 1000)
        payload = response.get("body", "").encode("utf-8")
        self.send_response(response["status"])
        for name, value in response.get("headers", {}).items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", response.get("content_type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        record({"n": n, "answered": response["status"]})

    do_POST = handle_any
    do_GET = handle_any
    do_HEAD = handle_any

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
