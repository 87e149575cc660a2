"""The routes every fake platform has for its tests, beside the API it fakes.

GET  /_stats      calls counted by the fake (by path, and what it refused)
POST /_control    how to misbehave next (each fake documents its keys); {} to behave again
POST /_reset      the data as loaded, no controls, zero stats
GET  /health      up
"""

from __future__ import annotations

from typing import Any, Counter, Dict, Protocol

from sanic import Sanic, response
from sanic.request import Request


class Controlled(Protocol):
    stats: Counter
    control: Dict[str, Any]

    def reset(self) -> None: ...


def add_controls(app: Sanic, fake: Controlled) -> None:
    @app.get("/_stats")
    async def stats(_: Request) -> response.HTTPResponse:
        return response.json(dict(fake.stats))

    @app.post("/_control")
    async def control(request: Request) -> response.HTTPResponse:
        fake.control = dict(request.json or {})
        return response.json({"control": fake.control})

    @app.post("/_reset")
    async def reset(_: Request) -> response.HTTPResponse:
        fake.reset()
        return response.json({"ok": True})

    @app.get("/health")
    async def health(_: Request) -> response.HTTPResponse:
        return response.json({"ok": True})
