"""GET /reports: the supervisors' figures (helpdesk/reports/figures.py) over ?from=&to= (days of the shop's time zone,
default the last 7) in total and per ?group_by= (day by default). A console login must be a supervisor's; the
service token may read them. The SQL and the shop's order read run on a worker thread.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Collection, Optional

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.reports.report import GROUP_BY, report
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import blocking, hd
from helpdesk.web.supervising import one_arg, period_of, supervisor_only
from shop.store import PlacedOrders, StoreUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("reports")


@bp.get("/reports")
async def reports(request: Request) -> HTTPResponse:
    supervisor_only(request, "the reports")
    res = hd(request)
    group_by = one_arg(request, "group_by", "bad_group_by")
    group_by = "day" if group_by is None else group_by  # given empty: refused below
    if group_by not in GROUP_BY:
        raise ApiError("bad_group_by")
    period = period_of(request)

    def orders(start: datetime, end: datetime, numbers: Collection[str]) -> Optional[PlacedOrders]:
        try:
            return res.shop.orders_placed(start, end, numbers)
        except StoreUnavailable as exc:  # the shop's data is down: the other figures stand, conversion is unknown
            log.warning("reports: the shop's orders could not be read, conversion unknown: %s", exc)
            return None

    return json(await blocking(report, res.record, res.cfg, period, group_by, orders, res.desk.clock()))
