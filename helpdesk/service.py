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
from helpdesk import api, services
from helpdesk.openapi import SPEC
from helpdesk.rebuild import ensure_state, register_agents
from helpdesk.sweeper import Sweeper

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health", "/openapi.json"}


def create_app(name: str = "kefu-helpdesk", sweep_interval_s: float = 0.5, keep_online: List[str] = ()) -> Sanic:
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"  # sanic's own errors (404, 405, 413) as JSON, no trace
    app.blueprint(api.bp)
    api.install_error_handlers(app)

    @app.get("/openapi.json")
    async def openapi(request: Request):
        return json(SPEC)

    @app.on_request
    async def check_token(request: Request):
        token = settings().helpdesk_token
        if not token or request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return json({"error": "unauthorized", "reason": "missing or wrong bearer token"}, status=401)
        return None

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
    q = services.queue()
    while True:
        for agent_id in agent_ids:
            try:
                if q.agent(agent_id).get("status") != "online":
                    q.set_status(agent_id, "online")
                q.heartbeat(agent_id)
            except Exception as exc:
                log.warning("demo agent %s: %s", agent_id, exc)
        await asyncio.sleep(every_s)


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
