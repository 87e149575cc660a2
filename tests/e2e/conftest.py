"""The whole stack (embedded Redis, carrier, action server, Rasa with the trained model, helpdesk) on free ports."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from scripts.browser import launch
from scripts.shop_site import ShopSite
from scripts.stack import ROOT, Stack, free_port
from tests.shop_files import write_shop

SHOP_SITE = f"http://127.0.0.1:{free_port()}"  # another origin than the stack's: a shop's site that embeds the chat


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Every test in this folder talks to the whole stack, which takes minutes to start: e2e, and slow."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    model = ROOT / "models" / "kefu.tar.gz"
    if not model.exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    var = tmp_path_factory.mktemp("stack")

    def roomy(raw: dict) -> None:  # many tests hand off and never resolve: give the demo agents room
        for agent in raw["helpdesk"]["agents"]:
            agent["capacity"] = 50

    env = {
        "KEFU_REVIEWED_NLU": str(var / "reviewed.yml"),  # the Trainer view's examples, never in the repository's data/
        "KEFU_WEBCHAT_ORIGINS": SHOP_SITE,  # the shop's own site, which embeds the chat (test_rasa_webchat.py)
    }
    s = Stack.on_free_ports(shop_config=write_shop(var, roomy), model=model, var_dir=var, extra_env=env)
    s.start(timeout=240)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def shop_site() -> Iterator[ShopSite]:
    """The shop's own site, whose origin the stack lists for the chat (KEFU_WEBCHAT_ORIGINS)."""
    site = ShopSite(SHOP_SITE)
    yield site
    site.close()


@pytest.fixture(scope="session")
def helpdesk(stack) -> requests.Session:
    """The helpdesk API of the stack, with its token; paths are relative to stack.helpdesk_url."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.helpdesk_token}"
    return session


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright, for one test module. Not for the session: Playwright's sync API
    leaves its asyncio loop marked as running in this thread while it is open, and the in-process helpdesk
    tests that run after tests/e2e/ need to run loops of their own."""
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def browser(chromium) -> Iterator[Browser]:
    """The session's chromium; every page a test opens (each in a context of its own) is closed after the
    test, whatever happens in it: a console left open would stay logged in and live."""
    yield chromium
    for context in chromium.contexts:
        context.close()


class Chat:
    """One buyer talking to the bot over the REST channel."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.url = f"{stack.rasa_url}/webhooks/rest/webhook"
        self.tracker_url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
        self.sender = sender

    def say(self, text: str, **extra) -> List[str]:
        r = requests.post(self.url, json={"sender": self.sender, "message": text, **extra}, timeout=30)
        assert r.status_code == 200, r.text
        return [m.get("text", "") for m in r.json()]

    def tracker(self) -> dict:
        return requests.get(self.tracker_url, timeout=10).json()


@pytest.fixture
def chat(stack, request):
    counter = {"n": 0}

    def make(name: str = "") -> Chat:
        counter["n"] += 1
        return Chat(stack, f"{request.node.name[:40]}-{name}{counter['n']}".replace("[", "_").replace("]", "_"))

    return make
