"""A stand-in for the carrier's tracking API, for the demo and the tests.

    python -m carrier.service [--port 5056]

GET /v1/tracking/<tracking_no> (header X-Api-Key) answers with the events a real carrier
would have for the demo shop's shipments, derived from their ship dates. POST /_control
makes it misbehave on purpose ({"fail_status": 503, "delay_s": 5}; {} to behave again) so the
tests can prove the bot copes with a slow or broken carrier.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime, timedelta
from typing import Any, Dict, List

from sanic import Sanic, response
from sanic.request import Request
from sqlalchemy import select

from shop.db import make_engine, session_maker
from shop.models import Shipment
from shop.settings import Settings

HUBS = ["Shenzhen hub", "Los Angeles gateway", "Regional sort center", "Local depot"]


def shipment_events(ship: Shipment, now: datetime) -> List[Dict[str, Any]]:
    """The carrier's scan history: one hop every 20 hours from pick-up, delivered at the end."""
    start = ship.order.shipped_at
    events = [{"time": start, "status": "picked_up", "location": HUBS[0]}]
    for i, hub in enumerate(HUBS[1:], start=1):
        t = start + timedelta(hours=20 * i)
        if t > now or (ship.order.delivered_at and t >= ship.order.delivered_at):
            break
        events.append({"time": t, "status": "in_transit", "location": hub})
    delivered = ship.order.delivered_at
    if delivered and delivered <= now:
        events.append(
            {"time": delivered - timedelta(hours=3), "status": "out_for_delivery", "location": ship.last_location}
        )
        events.append({"time": delivered, "status": "delivered", "location": ship.last_location})
    return [{**e, "time": e["time"].isoformat() + "Z"} for e in events]


def create_app(database_url: str, api_key: str, name: str = "carrier") -> Sanic:
    app = Sanic(name)
    app.ctx.control = {}
    sessions = session_maker(make_engine(database_url))

    @app.get("/v1/tracking/<tracking_no:str>")
    async def track(request: Request, tracking_no: str):
        ctl = app.ctx.control
        if ctl.get("delay_s"):
            await asyncio.sleep(float(ctl["delay_s"]))
        if ctl.get("fail_status"):
            return response.json({"error": "unavailable"}, status=int(ctl["fail_status"]))
        if request.headers.get("x-api-key") != api_key:
            return response.json({"error": "bad api key"}, status=401)
        with sessions() as s:
            ship = s.execute(select(Shipment).where(Shipment.tracking_no == tracking_no)).scalar_one_or_none()
            if ship is None:
                return response.json({"error": "unknown tracking number"}, status=404)
            events = shipment_events(ship, datetime.utcnow())
            return response.json(
                {
                    "tracking_no": tracking_no,
                    "carrier": ship.carrier,
                    "status": events[-1]["status"],
                    "eta": ship.eta.isoformat() + "Z" if ship.eta else None,
                    "events": events,
                }
            )

    @app.post("/_control")
    async def control(request: Request):
        app.ctx.control = dict(request.json or {})
        return response.json({"control": app.ctx.control})

    @app.get("/health")
    async def health(_: Request):
        return response.json({"ok": True})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description="demo carrier tracking service")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5056)
    args = ap.parse_args()
    settings = Settings.from_env()
    app = create_app(settings.database_url, settings.carrier_key)
    app.run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
