#!/usr/bin/env python3
"""systemd's notification socket, for the bats tests (sd_notify(3)).

usage: notify-socket.py SECONDS eof|term COMMAND [ARG...]

Binds a unix datagram socket in the current directory, runs COMMAND with NOTIFY_SOCKET set to it
(WATCHDOG_USEC passes through from the environment), its stdout discarded and its stdin a pipe
held open and quiet for SECONDS, then ends it: eof closes the pipe, term sends SIGTERM. After the
command has ended it prints every notification received, one assignment (READY=1, WATCHDOG=1,
...) a line, in order, and exits with the command's exit status. Nothing but the datagrams is
checked here; the bats test says what must have arrived. SECONDS is multiplied by SM_TIME_SCALE
(tests/cli/common.bash: longer under emulation).
"""
import os
import signal
import socket
import subprocess
import sys
import time


def main() -> int:
    seconds = float(sys.argv[1]) * float(os.environ.get("SM_TIME_SCALE", "1"))
    how, command = sys.argv[2], sys.argv[3:]
    path = os.path.join(os.getcwd(), "notify.sock")
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.setblocking(False)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    received = []

    def drain() -> None:
        while True:
            try:
                received.append(listener.recv(4096).decode())
            except BlockingIOError:
                return

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and child.poll() is None:
        drain()
        time.sleep(0.02)
    if how == "term":
        child.send_signal(signal.SIGTERM)
    child.stdin.close()
    status = child.wait(timeout=30)
    drain()
    for datagram in received:
        for line in datagram.splitlines():
            print(line)
    os.unlink(path)
    return status


if __name__ == "__main__":
    sys.exit(main())
