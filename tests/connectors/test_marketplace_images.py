"""A buyer's photo is fetched from the marketplace with its access token, which never follows a redirect to
another host (two real HTTP servers on this machine: the marketplace's API, and a CDN it redirects to)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List

import pytest

from connectors.files import Uploads
from connectors.marketplace.channel import MarketplaceInput
from shop.config import Attachments
from shop.settings import Settings
from tests.files.samples import png


def serve(handler: type) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def hosts() -> Iterator[Dict[str, object]]:
    seen: List[Dict[str, str]] = []

    class Cdn(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png())

        def log_message(self, *args) -> None:
            pass

    cdn = serve(Cdn)

    class Api(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(dict(self.headers))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{cdn.server_address[1]}/img/9.png")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    api = serve(Api)
    yield {"api": f"http://127.0.0.1:{api.server_address[1]}", "seen": seen}
    api.shutdown()
    cdn.shutdown()


def test_the_token_goes_to_the_api_host_only(hosts, tmp_path):
    channel = MarketplaceInput("shop", str(hosts["api"]), "secret", "the-token",
                               settings=Settings.from_env({"KEFU_VAR_DIR": str(tmp_path)}))  # fmt: skip
    channel.__dict__["uploads"] = Uploads(None, None, Attachments())  # only its limits are read here
    data, declared = channel.fetch_image(f"{hosts['api']}/api/v1/media/9")
    assert data == png() and declared == "image/png"
    api_call, cdn_call = hosts["seen"]
    assert api_call["Authorization"] == "Bearer the-token"
    assert "Authorization" not in cdn_call  # the redirect to another host went without it
