#!/usr/bin/env python3
"""A local stand-in for NSE's website in sm-ingest's bats tests: the holiday page sets a session
cookie, and the holiday-master API answers with the list only to a request that looks like a
browser's (a Mozilla User-Agent), carries that cookie and names the page as Referer, as NSE's
does; anything else gets 401. Every request is logged as one JSON line.

usage: nse_holiday_server.py LIST_FILE LOG
Prints {"port": N} on stdout once it listens on 127.0.0.1.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = "/resources/exchange-communication-holidays"
API = "/api/holiday-master?type=trading"
with open(sys.argv[1], "rb") as f:
    LIST = f.read()
LOG = open(sys.argv[2], "a", encoding="utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        LOG.write(json.dumps({"path": self.path, "headers": headers}) + "\n")
        LOG.flush()
        port = self.server.server_address[1]
        if self.path == PAGE:
            self.answer(200, b"<html>holidays</html>",
                        [("Content-Type", "text/html"),
                         ("Set-Cookie", "nsit=s1; Path=/; HttpOnly"),
                         ("Set-Cookie", "nseappid=a2; Path=/; Secure")])
        elif (self.path == API and headers.get("user-agent", "").startswith("Mozilla/")
              and headers.get("cookie") == "nsit=s1; nseappid=a2"
              and headers.get("referer") == f"http://127.0.0.1:{port}{PAGE}"):
            self.answer(200, LIST, [("Content-Type", "application/json")])
        else:
            self.answer(401, b'{"message":"Unauthorized"}', [("Content-Type", "application/json")])

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
