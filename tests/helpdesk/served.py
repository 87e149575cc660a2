"""A helpdesk app from create_app, served in the test's own process by sanic-testing's ReusableClient."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Dict

from sanic_testing.reusable import ReusableClient
from sanic_testing.testing import TestingResponse

from helpdesk.web.app import create_app
from scripts.stack import free_port
from shop.settings import Settings


class ServedApp:
    """One app on a free port of this process. ReusableClient runs the app's server-start listener once
    (it opens app.ctx.hd: Redis, the SQL record, the shop, the Rasa client) and its stop listener at close();
    each request runs the app's event loop until the answer is back, over real HTTP. Nothing runs in the
    background between requests, so the timer sweeper is off: sweep() runs one tick of it.

    Responses are sanic-testing's: .json is a property, not a method."""

    def __init__(self, env: Dict[str, str]) -> None:
        settings = Settings.from_env(env)
        self.token = settings.helpdesk_token
        # sanic keeps a registry of app names: each app gets its own
        self.app = create_app(f"kefu-helpdesk-{uuid.uuid4().hex[:12]}", settings, sweep=False)
        self.loop = asyncio.new_event_loop()
        self.client = ReusableClient(self.app, port=free_port(), loop=self.loop)
        self.client.run()

    def request(self, method: str, path: str, auth: bool = True, **kwargs: Any) -> TestingResponse:
        """auth: with the service's bearer token."""
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        _, response = getattr(self.client, method)(path, gather_request=False, headers=headers, **kwargs)
        return response

    def get(self, path: str, **kwargs: Any) -> TestingResponse:
        return self.request("get", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestingResponse:
        return self.request("post", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestingResponse:
        return self.request("delete", path, **kwargs)

    def sweep(self) -> None:
        """What the background sweeper does once: fire due timers, copy the events into SQL, ..."""
        self.app.ctx.hd.sweeper.tick()

    def close(self) -> None:
        self.client.stop()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()
