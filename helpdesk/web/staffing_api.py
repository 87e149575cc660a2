"""GET /reports/staffing: the staffing forecast (helpdesk/reports/staffing.py) for supervisors.

?weeks= of history (1..52), ?share= of chats to answer (strictly between 0 and 1) ?within_s= seconds (1..3600);
each one missing is shop.yml's staffing value. A console login must be a supervisor's; the service token may
read it. The SQL runs on a worker thread.
"""

from __future__ import annotations

import math
import re
from typing import Callable, TypeVar

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.reports.staffing import staffing_plan
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import blocking, hd
from helpdesk.web.supervising import supervisor_only

bp = Blueprint("staffing")
N = TypeVar("N", int, float)
WHOLE = re.compile(r"[0-9]{1,6}")
DECIMAL = re.compile(r"[0-9]{0,6}\.?[0-9]{1,12}")
MAX_WITHIN_S = 3600
MAX_WEEKS = 52


def _arg(request: Request, name: str, pattern: re.Pattern, parse: Callable[[str], N], fits: Callable[[N], bool],
         default: N, wanted: str) -> N:  # fmt: skip
    """The query parameter `name` (given once), or the default when it is absent."""
    given = request.get_args(keep_blank_values=True).getlist(name)
    if not given:
        return default
    refusal = ApiError("bad_field", f"'{name}' must be {wanted}")
    if len(given) > 1 or not pattern.fullmatch(given[0]):
        raise refusal
    value = parse(given[0])
    if not fits(value):
        raise refusal
    return value


@bp.get("/reports/staffing")
async def staffing(request: Request) -> HTTPResponse:
    supervisor_only(request, "the staffing forecast")
    res = hd(request)
    defaults = res.cfg.staffing
    weeks = _arg(request, "weeks", WHOLE, int, lambda w: 1 <= w <= MAX_WEEKS, defaults.weeks,
                 f"a whole number of weeks from 1 to {MAX_WEEKS}")  # fmt: skip
    share = _arg(request, "share", DECIMAL, float, lambda s: math.isfinite(s) and 0 < s < 1, defaults.target_share,
                 "a number between 0 and 1 (0.8 = 80% of chats), not 0 or 1 themselves")  # fmt: skip
    within_s = _arg(request, "within_s", WHOLE, int, lambda s: 1 <= s <= MAX_WITHIN_S, defaults.target_s,
                    f"a whole number of seconds from 1 to {MAX_WITHIN_S}")  # fmt: skip
    plan = await blocking(staffing_plan, res.record, res.cfg, res.desk.clock(), weeks, share, within_s)
    return json(plan)
