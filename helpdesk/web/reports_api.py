"""GET /reports: the supervisors' figures (helpdesk/reports/report.py) over ?from=&to= (days of the shop's time zone,
default the last 7) in total and per ?group_by= (day by default). A console login must be a supervisor's; the
service token may read them. The SQL and the shop's order read run on a worker thread.
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.reports.conversion import shop_orders
from helpdesk.reports.report import GROUP_BY, report
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import blocking, hd
from helpdesk.web.supervising import one_arg, period_of, supervisor_only

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
    return json(await blocking(report, res.record, res.cfg, period, group_by, shop_orders(res.shop), res.desk.clock()))
