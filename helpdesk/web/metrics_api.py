"""GET /metrics: the desk in Prometheus's text format, for the service token or a supervisor's login.

Each app has a registry of its own (made at its first scrape, kept on app.ctx.metrics), so two apps in one
process never mix their figures. The figures are read from Redis at scrape time (helpdesk/metrics.py), so every
helpdesk process answers the same.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, raw

from helpdesk.metrics import CONTENT_TYPE, DeskCollector, read_live
from helpdesk.web.resources import Resources, blocking
from helpdesk.web.supervising import supervisor_only

bp = Blueprint("metrics")


def registry_for(res: Resources) -> CollectorRegistry:
    registry = CollectorRegistry()
    desk = res.desk
    registry.register(DeskCollector(lambda: read_live(desk.redis, desk.clock())))
    ProcessCollector(registry=registry)  # this process's memory, CPU and open files
    return registry


def _registry(app: Sanic) -> CollectorRegistry:
    registry = getattr(app.ctx, "metrics", None)
    if registry is None:  # no await since the look: one registry per app
        registry = app.ctx.metrics = registry_for(app.ctx.hd)
    return registry


@bp.get("/metrics")
async def metrics(request: Request) -> HTTPResponse:
    supervisor_only(request, "the metrics")
    body = await blocking(generate_latest, _registry(request.app))
    return raw(body, content_type=CONTENT_TYPE)
