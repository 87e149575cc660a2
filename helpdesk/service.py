"""The helpdesk service (sanic): the HTTP API and, in the background, the timer sweeper.

    python -m helpdesk.service --port 5057 [--keep-online amy,ben]

Run as many as you like against one Redis and one SQL database. --keep-online is for the demo:
it puts those agents online and sends their heartbeats until the agent console (issue 5) does.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
from typing import List

from sanic import Request, Sanic
from sanic.response import json

from actions.settings import settings
from helpdesk import api, console_api, services, sessions
from helpdesk.openapi import SPEC
from helpdesk.rebuild import ensure_state, register_agents
from helpdesk.sweeper import Sweeper

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health", "/openapi.json", "/console", "/auth/login"}
OPEN_PREFIXES = ("/console/static/",)


def create_app(name: str = "kefu-helpdesk", sweep_interval_s: float = 0.5, keep_online: List[str] = ()) -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"  # sanic's own errors (404, 405, 413) as JSON, no trace
    app.blueprint(api.bp)
    app.blueprint(console_api.bp)
    app.static("/console/static", str(console_api.STATIC))
    api.install_error_handlers(app)

    @app.get("/openapi.json")
    async def openapi(request: Request):
        return json(SPEC)

    @app.on_request
    async def authenticate(request: Request):
        """A console session (cookie, and a CSRF header on every change), or the service token."""
        request.ctx.session = None
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return None
        session = sessions.find(services.queue().redis, request.cookies.get(sessions.COOKIE))
        if session is not None:
            unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
            given = request.headers.get("x-csrf-token", "")
            if unsafe and not hmac.compare_digest(given.encode(), session.csrf.encode()):
                return json({"error": "csrf", "reason": "missing or wrong X-CSRF-Token header"}, status=403)
            request.ctx.session = session
            return None
        token = settings().helpdesk_token
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token or hmac.compare_digest(given.encode(), token.encode()):
            return None
        return json({"error": "unauthorized", "reason": "log in, or give the service's bearer token"}, status=401)

    @app.before_server_start
    async def start(app: Sanic, loop) -> None:
        q, cfg = services.queue(), services.cfg()
        await asyncio.to_thread(register_agents, q, cfg)
        await asyncio.to_thread(ensure_state, q, services.sessions(), cfg)
        app.ctx.sweeper = Sweeper(q, services.sessions(), cfg, services.rasa())
        app.add_task(_sweep(app.ctx.sweeper, sweep_interval_s))
        if keep_online:
            app.add_task(_keep_online(list(keep_online), cfg.timers.heartbeat_timeout_s / 3))

    return app


async def _sweep(sweeper: Sweeper, interval_s: float) -> None:
    while True:
        try:
            done = await asyncio.to_thread(sweeper.tick)
            if done.keys() - {"recorded"}:
                log.info("sweep: %s", dict(done))
        except Exception as exc:  # Redis or SQL away: keep trying, the state is safe where it is
            log.warning("sweep failed, retrying: %s: %s", exc.__class__.__name__, exc)
        await asyncio.sleep(interval_s)


async def _keep_online(agent_ids: List[str], every_s: float) -> None:
    """Demo agents: online at start, then heartbeats; a status set in the console is left as it is."""
    q = services.queue()
    for agent_id in agent_ids:
        try:
            q.set_status(agent_id, "online")
        except Exception as exc:
            log.warning("demo agent %s: %s", agent_id, exc)
    while True:
        await asyncio.sleep(every_s)
        for agent_id in agent_ids:
            try:
                q.heartbeat(agent_id)
            except Exception as exc:  # signed off in the console: stays off
                log.debug("demo agent %s: %s", agent_id, exc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5057)
    ap.add_argument("--keep-online", default="", help="comma-separated agent ids (demo)")
    ap.add_argument("--sweep-interval", type=float, default=float(os.environ.get("KEFU_SWEEP_INTERVAL_S", 0.5)))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    agents = [a for a in args.keep_online.split(",") if a]
    app = create_app(f"kefu-helpdesk-{args.port}", args.sweep_interval, agents)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
