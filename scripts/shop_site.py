"""A shop's own site, on another origin than the stack, for the tests and screenshots of the chat embedded in it:
it serves whatever pages and scripts are put in `files`."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Tuple
from urllib.parse import urlparse


class ShopSite:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.files: Dict[str, Tuple[bytes, str]] = {}  # path -> (body, content type)
        url = urlparse(origin)
        self.server = ThreadingHTTPServer((url.hostname, url.port), self.handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, body: bytes, kind: str = "text/html") -> str:
        self.files[path] = (body, kind)
        return self.origin + path

    def handler(self) -> type:
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path not in files:
                    self.send_error(404)
                    return
                body, kind = files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# the two screens every embedded-chat test runs on (a phone as in the issue: 390x844, touch)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
