"""Safe by default: no public channel secret, production refuses to start without its secrets, and a
forged claim of who the buyer is proves nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shop import trust
from shop.settings import PRODUCTION_REQUIRES, ROOT, Settings, UnsafeStart

SECRETS = {"KEFU_HELPDESK_TOKEN": "t", "KEFU_CHANNEL_SECRET": "s", "RASA_TOKEN": "r", "REDIS_URL": "redis://x:1/0"}


def test_there_is_no_public_channel_secret():
    assert Settings.from_env({}).channel_secret == ""
    assert trust.claim("", "buyer-1", "mkt-buyer-1001") == {}
    # a claim signed with the old public demo secret is worth nothing without a secret of our own
    forged = trust.claim("kefu-dev-channel-secret", "buyer-1", "mkt-buyer-1001")
    assert trust.verified_customer("", "buyer-1", forged) is None
    assert trust.verified_customer("ours", "buyer-1", forged) is None
    assert trust.verified_customer("ours", "buyer-1", trust.claim("ours", "buyer-1", "c1")) == "c1"


@pytest.mark.parametrize("missing", sorted(PRODUCTION_REQUIRES))
def test_production_names_each_missing_secret(missing):
    env = {"KEFU_ENV": "production", **SECRETS, missing: " "}
    with pytest.raises(UnsafeStart) as refused:
        Settings.from_env(env).refuse_unsafe_start()
    assert missing in str(refused.value) and all(name not in str(refused.value) for name in set(SECRETS) - {missing})
    Settings.from_env({**env, "KEFU_ENV": "demo"}).refuse_unsafe_start()  # the demo makes its own
    Settings.from_env({**env, missing: "set"}).refuse_unsafe_start()


@pytest.mark.parametrize(
    "command",
    [
        ["scripts.rasa_cli", "run", "--enable-api", "--port", "1"],
        ["scripts.rasa_cli", "run", "actions", "--port", "1"],
        ["helpdesk.web", "serve", "--port", "1"],
    ],
    ids=["rasa", "actions", "helpdesk"],
)
def test_production_processes_refuse_to_start_without_secrets(command):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_REQUIRES}
    env.update(KEFU_ENV="production", PYTHONPATH=str(ROOT), RASA_TOKEN="only-this-one")
    done = subprocess.run([sys.executable, "-m", *command], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "KEFU_ENV=production refuses to start without" in done.stderr
    for name in ("KEFU_HELPDESK_TOKEN", "KEFU_CHANNEL_SECRET", "REDIS_URL"):
        assert name in done.stderr
    assert "RASA_TOKEN" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "command",
    [["scripts.rasa_cli", "run", "actions", "--port", "1"], ["helpdesk.web", "serve", "--port", "1"]],
    ids=["actions", "helpdesk"],
)
def test_a_shop_on_a_platform_needs_its_secrets_before_any_port_opens(command):
    """A shop on Shopify without SHOP_API_TOKEN: the processes that read it stop at once, naming what is missing,
    in the demo too (a buyer must not be the first to find out)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_API_")}
    env.update(PYTHONPATH=str(ROOT), KEFU_SHOP_CONFIG=str(ROOT / "demo_shops" / "teahouse" / "shop.yml"))
    done = subprocess.run([sys.executable, "-m", *command], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "store.adapter shopify needs: SHOP_API_URL (or store.url), SHOP_API_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
