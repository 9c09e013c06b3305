"""Local servers for benches: a free port on 127.0.0.1 and a wait until a started server listens."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(proc: subprocess.Popen, port: int, what: str, timeout: float = 30.0) -> None:
    """Return once 127.0.0.1:port accepts connections; kill `proc` and exit with a line naming `what` otherwise."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"{what} did not start within {timeout:.0f} s")
