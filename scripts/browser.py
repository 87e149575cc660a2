"""Debian's chromium through Playwright, and the two pages of a handoff: the shop's widget and the console.

Used by the browser tests' helpers, benchmarks/reply_latency.py and scripts/screenshots.py.
"""

from __future__ import annotations

import shutil

import requests
from playwright.sync_api import Browser, Page, Playwright

from scripts.stack import Stack


def launch(p: Playwright) -> Browser:
    """Debian's chromium: Playwright's own browser download cannot work here."""
    path = shutil.which("chromium")
    if path is None:
        raise SystemExit("Debian's chromium is not installed: run `make browser`")
    return p.chromium.launch(executable_path=path, args=["--no-sandbox"])


def open_widget(browser: Browser, stack: Stack, width: int = 1200, height: int = 800) -> Page:
    """A fresh buyer (own browser context, so own localStorage) on the shop page, chat open and connected."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"{stack.rasa_url}/webhooks/webchat/")
    page.click("#kefu-toggle")
    page.wait_for_selector("#kefu-status:has-text('online')")
    return page


def open_console(browser: Browser, stack: Stack, agent: str, width: int = 1400, height: int = 900) -> Page:
    """The agent console, logged in as `agent` with the demo password."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"{stack.helpdesk_url}/console")
    page.fill("#login-agent", agent)
    page.fill("#login-password", stack.agent_password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    return page


def session_of(widget: Page) -> str:
    """The widget's conversation id (the Rasa sender id)."""
    return widget.evaluate("localStorage.getItem('kefu_session_id')")


def owner_of(stack: Stack, conversation_id: str) -> str:
    """The agent a conversation is assigned to, from the helpdesk API."""
    url = f"{stack.helpdesk_url}/conversations/{conversation_id}"
    headers = {"Authorization": f"Bearer {stack.helpdesk_token}"}
    return requests.get(url, headers=headers, timeout=10).json()["live"]["agent"]
