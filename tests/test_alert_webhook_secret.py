"""Safe by default, for the alert webhook: a helpdesk with a webhook URL and no ALERT_WEBHOOK_SECRET stops before
it opens a port, in the demo as in production (an unsigned alert could be forged by anyone who finds the URL)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from helpdesk.alert_webhook import refuse_unsigned_webhook
from shop.config import AlertWebhook, load_shop_config
from shop.settings import PRODUCTION_REQUIRES, ROOT, Settings, UnsafeStart
from tests.shop_files import write_shop

SECRETS = {"KEFU_HELPDESK_TOKEN": "t", "KEFU_CHANNEL_SECRET": "s", "RASA_TOKEN": "r", "REDIS_URL": "redis://x:1/0"}
HOOK = "http://127.0.0.1:9/alerts"


def with_webhook(raw: dict) -> None:
    raw["alerts"]["webhook"]["url"] = HOOK


@pytest.mark.parametrize("mode", ["demo", "production"])
def test_the_helpdesk_refuses_to_post_unsigned_alerts(tmp_path, mode):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_REQUIRES and k != "ALERT_WEBHOOK_SECRET"}
    env.update(PYTHONPATH=str(ROOT), KEFU_ENV=mode, KEFU_SHOP_CONFIG=str(write_shop(tmp_path, with_webhook)),
               KEFU_VAR_DIR=str(tmp_path), ALERT_WEBHOOK_SECRET="  ")  # fmt: skip
    if mode == "production":
        env.update(SECRETS)
    done = subprocess.run([sys.executable, "-m", "helpdesk.web", "serve", "--port", "1"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert f"shop.yml alerts.webhook.url is set ({HOOK}) but ALERT_WEBHOOK_SECRET is empty" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_secret_or_no_url_lets_it_start(tmp_path):
    hooked = load_shop_config(write_shop(tmp_path, with_webhook))
    refuse_unsigned_webhook(hooked, Settings.from_env({"ALERT_WEBHOOK_SECRET": "set"}))
    refuse_unsigned_webhook(load_shop_config(ROOT / "shop.yml"), Settings.from_env({}))  # no url: nothing to sign
    with pytest.raises(UnsafeStart):
        refuse_unsigned_webhook(hooked, Settings.from_env({}))


def test_a_webhook_url_must_be_http():
    assert AlertWebhook(url=" https://ops.example.com/kefu ").url == "https://ops.example.com/kefu"
    for bad in ("ftp://example.com/x", "example.com/alerts", "http://", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            AlertWebhook(url=bad)
