#!/usr/bin/env python3
"""A local stand-in for an SMTP relay in sm-alert's bats tests: it speaks just enough SMTP
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), answers the first FAILS transactions' MAIL
with 451 (a temporary failure), and logs each accepted mail as one JSON line (from, to, data).

usage: smtp_server.py LOG [FAILS]
It prints {"port": N} on stdout once it listens on 127.0.0.1.
"""
import json
import socketserver
import sys
import threading

LOG = open(sys.argv[1], "a", encoding="utf-8")
FAILS = [int(sys.argv[2]) if len(sys.argv) > 2 else 0]
LOCK = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.reply("220 localhost stand-in ESMTP")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-localhost" if verb == "EHLO" else "250 localhost")
                if verb == "EHLO":
                    self.reply("250 8BITMIME")
            elif verb == "MAIL":
                with LOCK:
                    failing = FAILS[0] > 0
                    if failing:
                        FAILS[0] -= 1
                if failing:
                    self.reply("451 4.3.0 try again later")
                    continue
                sender, recipients = line[10:].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line[8:].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    chunk = self.rfile.readline().decode("utf-8", "replace")
                    if chunk in (".\r\n", ".\n", ""):
                        break
                    data.append(chunk)
                with LOCK:
                    LOG.write(json.dumps({"from": sender, "to": recipients,
                                          "data": "".join(data)}) + "\n")
                    LOG.flush()
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
