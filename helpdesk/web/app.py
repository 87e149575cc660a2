"""The helpdesk service (sanic): the HTTP API, the agent console and, in the background, the timer sweeper.

    python -m helpdesk.web serve --port 5057 [--keep-online amy,ben]

Run as many as you like against one Redis and one SQL database. create_app makes an app whose
resources (Redis, the SQL record, the shop's data, the Rasa client) are made when its server starts
and kept on app.ctx.hd, so two apps in one process share nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from http.cookies import CookieError
from typing import List, Optional

from sanic import Request, Sanic
from sanic.response import json

from helpdesk.record.rebuild import ensure_state
from helpdesk.web import (
    api,
    console,
    files_api,
    logins,
    metrics_api,
    quality_api,
    reports_api,
    search_api,
    staffing_api,
    training_api,
)
from helpdesk.web.errors import ApiError, install_error_handlers
from helpdesk.web.openapi import SPEC
from helpdesk.web.resources import Resources, blocking, hd
from helpdesk.web.sweeper import Sweeper
from helpdesk.web.validation import check_path
from shop import formats
from shop.config import ShopConfig, load_shop_config
from shop.settings import Settings

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health", "/openapi.json", "/console", "/auth/login"}
OPEN_PREFIXES = ("/console/static/",)
FILE_UPLOAD = re.compile(r"/conversations/[^/]+/files")  # the one route whose body may be a photo


def create_app(
    name: str = "kefu-helpdesk",
    settings: Optional[Settings] = None,
    cfg: Optional[ShopConfig] = None,
    keep_online: List[str] = (),
    sweep: bool = True,
) -> Sanic:
    """An app over the given settings and shop rules (default: the environment and its shop file).

    keep_online: demo agents put online at start and kept alive with heartbeats. sweep=False leaves the
    timers to other processes (tests that move time themselves)."""
    settings = settings or Settings.from_env()
    cfg = cfg or load_shop_config(settings.shop_config)
    app = Sanic(name)
    # a photo an agent sends may be larger than any other body (small_bodies keeps those to MAX_BODY_BYTES);
    # a file a little over the shop's limit still reaches the route, which says what the limit is
    app.config.REQUEST_MAX_SIZE = cfg.attachments.max_bytes + formats.MAX_BODY_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "json"  # an error no handler of ours answers: JSON, no trace
    # behind HAProxy every request comes from the proxy: the buyer's or agent's own address (per-address
    # login limits) is the one the proxy wrote in X-Forwarded-For; without a proxy that header is ignored
    app.config.PROXIES_COUNT = settings.proxies_count
    app.blueprint(api.bp)
    app.blueprint(console.bp)
    app.blueprint(files_api.bp)  # photos: an agent sends one, the console shows a chat's
    app.blueprint(metrics_api.bp)  # GET /metrics (Prometheus)
    app.blueprint(staffing_api.bp)
    app.blueprint(quality_api.bp)  # GET /reports/quality (the reply route checks each reply itself)
    app.blueprint(reports_api.bp)  # GET /reports (the supervisors' figures)
    app.blueprint(training_api.bp)  # the trainer's inbox, decisions and the agents' flags
    app.blueprint(search_api.bp)  # GET /search: the console's search box and History
    app.static("/console/static", str(console.STATIC))
    install_error_handlers(app)

    @app.get("/openapi.json")
    async def openapi(request: Request):
        return json(SPEC)

    @app.on_request
    async def small_bodies(request: Request):
        """Only a photo (POST /conversations/{id}/files) may be larger than MAX_BODY_BYTES: any other body is
        refused as sanic refused every large one before photos, whether or not its route reads it."""
        if len(request.body or b"") > formats.MAX_BODY_BYTES and not FILE_UPLOAD.fullmatch(request.path):
            return ApiError("body_too_large").response()
        return None

    @app.on_request
    async def authenticate(request: Request):
        """A console login (cookie, and a CSRF header on every change), or the service token."""
        if hasattr(request.ctx, "login"):  # sanic runs request middleware again while it handles an error
            return None
        request.ctx.login = None
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return None
        login = await blocking(logins.find, hd(request).desk.redis, _session_cookie(request))
        if login is not None:
            unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
            given = request.headers.get("x-csrf-token", "")
            if unsafe and not hmac.compare_digest(_raw(given), _raw(login.csrf)):
                return ApiError("csrf").response()
            request.ctx.login = login
            return None
        token = settings.helpdesk_token
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token and hmac.compare_digest(_raw(given), _raw(token)):  # no token set: only console logins get in
            return None
        return ApiError("unauthorized").response()

    app.on_request(check_path)

    @app.before_server_start
    async def open_resources(app: Sanic, _) -> None:
        res = await blocking(Resources.open, settings, cfg)
        app.ctx.hd = res
        await blocking(res.desk.agents.register_all, cfg.helpdesk.chat_agents)
        await blocking(ensure_state, res.desk, res.record, cfg)
        if sweep:
            app.add_task(_sweep(res.sweeper, settings.sweep_interval_s))
        if keep_online:
            app.add_task(_keep_online(res, list(keep_online), cfg.timers.heartbeat_timeout_s / 3))

    @app.after_server_stop
    async def close_resources(app: Sanic, _) -> None:
        await blocking(app.ctx.hd.close)

    return app


def _session_cookie(request: Request) -> Optional[str]:
    """The console login's cookie; none in a Cookie header the standard library cannot parse (as a browser never
    sends it: whoever sent it is no console)."""
    try:
        return request.cookies.get(logins.COOKIE)
    except CookieError:
        return None


def _raw(header: str) -> bytes:
    """A header's bytes as sent: sanic keeps the bytes that are not UTF-8 as surrogates, which .encode() refuses."""
    return header.encode("utf-8", "surrogateescape")


async def _sweep(sweeper: Sweeper, interval_s: float) -> None:
    while True:
        try:
            done = await blocking(sweeper.tick)
            if done.keys() - {"recorded"}:
                log.info("sweep: %s", dict(done))
        except Exception as exc:  # Redis or SQL away: keep trying, the state is safe where it is
            log.warning("sweep failed, retrying: %s: %s", exc.__class__.__name__, exc)
        await asyncio.sleep(interval_s)


async def _keep_online(res: Resources, agent_ids: List[str], every_s: float) -> None:
    """Demo agents: online at start, then heartbeats; a status set in the console is left as it is."""
    agents = res.desk.agents
    for agent_id in agent_ids:
        try:
            await blocking(agents.set_status, agent_id, "online")
        except Exception as exc:
            log.warning("demo agent %s: %s", agent_id, exc)
    while True:
        await asyncio.sleep(every_s)
        for agent_id in agent_ids:
            try:
                await blocking(agents.heartbeat, agent_id)
            except Exception as exc:  # signed off in the console: stays off
                log.debug("demo agent %s: %s", agent_id, exc)
