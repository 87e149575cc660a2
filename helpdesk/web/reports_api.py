"""GET /reports: the supervisors' figures (helpdesk/reports/figures.py) over ?from=&to= (days of the shop's time zone,
default the last 7) in total and per ?group_by= (day by default). A console login must be a supervisor's; the
service token may read them. The SQL and the shop's order read run on a worker thread.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Collection, Optional
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.reports.period import PeriodError, parse_period
from helpdesk.reports.report import GROUP_BY, report
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import blocking, hd
from shop.store import PlacedOrders, StoreUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("reports")


def _one(request: Request, name: str, error: str) -> Optional[str]:
    """The query parameter, given at most once (None: absent)."""
    given = request.get_args(keep_blank_values=True).getlist(name) or []
    if len(given) > 1:
        raise ApiError(error, f"give '{name}' once")
    return given[0] if given else None


@bp.get("/reports")
async def reports(request: Request) -> HTTPResponse:
    login = getattr(request.ctx, "login", None)  # None: the service token
    if login is not None and login.role != "supervisor":
        raise ApiError("not_supervisor", "only a supervisor may read the reports")
    res = hd(request)
    group_by = _one(request, "group_by", "bad_group_by")
    group_by = "day" if group_by is None else group_by
    if group_by not in GROUP_BY:
        raise ApiError("bad_group_by")
    try:
        period = parse_period(_one(request, "from", "bad_period"), _one(request, "to", "bad_period"),
                              ZoneInfo(res.cfg.shop.timezone), res.desk.clock())  # fmt: skip
    except PeriodError as exc:
        raise ApiError("bad_period", str(exc)) from None

    def orders(start: datetime, end: datetime, numbers: Collection[str]) -> Optional[PlacedOrders]:
        try:
            return res.shop.orders_placed(start, end, numbers)
        except StoreUnavailable as exc:  # the shop's data is down: the other figures stand, conversion is unknown
            log.warning("reports: the shop's orders could not be read, conversion unknown: %s", exc)
            return None

    return json(await blocking(report, res.record, res.cfg, period, group_by, orders, res.desk.clock()))
