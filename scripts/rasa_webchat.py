"""rasa-webchat, the common open-source widget for Rasa bots, from the npm registry, for the browser test that
points the unmodified bundle at kefu (tests/e2e/test_rasa_webchat.py).

Pinned by version and by the registry's integrity hash, unpacked under var/vendor/ and never committed:
    python -m scripts.rasa_webchat      prints the path of lib/index.js (fetched once)
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Dict

from shop.settings import ROOT

VERSION = "1.0.1"
INTEGRITY = "sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w=="
HOME = ROOT / "var" / "vendor" / f"rasa-webchat-{VERSION}"
BUNDLE = HOME / "index.js"  # the UMD bundle a shop loads from a CDN: window.WebChat.default(props, element)
SCRIPT = "/rasa-webchat.js"  # where a host page (host_page) loads BUNDLE from, on its own site
SOCKET_PATH = "/webhooks/webchat/socket.io/"  # kefu's web-chat channel, as rasa-webchat's socketPath


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch() -> Path:
    """The bundle, fetched with npm and checked against INTEGRITY the first time."""
    if BUNDLE.exists():
        return BUNDLE
    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed: the rasa-webchat browser test needs it (Debian's package npm)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"rasa-webchat@{VERSION}", "--pack-destination", tmp, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        tgz = next(Path(tmp).glob("rasa-webchat-*.tgz"))
        if integrity(tgz.read_bytes()) != INTEGRITY:
            raise SystemExit(f"rasa-webchat {VERSION} from the registry does not match its pinned integrity")
        HOME.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for name, target in (("package/lib/index.js", BUNDLE), ("package/LICENSE", HOME / "LICENSE")):
                member = tar.extractfile(name)
                assert member is not None, name
                target.with_suffix(".part").write_bytes(member.read())
                target.with_suffix(".part").replace(target)  # whole or not at all
    return BUNDLE


def host_page(rasa_url: str, **props: Any) -> bytes:
    """A shop's page that embeds rasa-webchat as its README says, pointed at kefu at rasa_url."""
    settings: Dict[str, Any] = {"socketUrl": rasa_url, "socketPath": SOCKET_PATH, "initPayload": "/greet", **props}
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A shop</title></head>
<body><h1>A shop's own site, on another origin than kefu</h1>
<script src="{SCRIPT}"></script>
<script>WebChat.default({json.dumps(settings)}, null);</script>
</body></html>""".encode()


if __name__ == "__main__":
    print(fetch())
