"""The sweeper's alert job: evaluate shop.yml `alerts.rules` (helpdesk/alert_rules.py) and raise or clear the
operator alerts. One process at a time (a lease), so two sweepers never judge the same moment from figures
read a moment apart; the alerts' own script makes each firing single even without it (helpdesk/lua/alert.lua).

A tick costs one atomic read of the live state, a few small writes, and, once every alerts.record_every_s,
two small SQL queries whose answer is kept in Redis for the other ticks and processes.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.alert_rules import apply, evaluate, load_record_figures, read_live, store_record_figures
from helpdesk.desk import Desk
from helpdesk.lease import lease
from helpdesk.record.alert_figures import record_figures
from shop.config import Alerts

log = logging.getLogger(__name__)

LEASE_MS = 30_000  # only a process that died holding it waits this long


class AlertWatch:
    def __init__(self, desk: Desk, record: sessionmaker, cfg: Alerts) -> None:
        self.desk, self.record, self.cfg = desk, record, cfg

    def check(self) -> Counter:
        """Evaluate every rule now; returns the alerts fired and cleared ("alert_firing", "alert_cleared")."""
        client = self.desk.redis
        with lease(client, "alerts", ttl_ms=LEASE_MS) as held:
            if not held:
                return Counter()  # another process is evaluating this moment
            now = self.desk.clock()
            figures = load_record_figures(client)
            if figures is None or not figures.checked_at <= now < figures.checked_at + self.cfg.record_every_s:
                try:
                    with self.record() as session:
                        fresh = record_figures(session, now, self.cfg.rules)
                    store_record_figures(client, fresh)
                    figures = fresh
                except SQLAlchemyError as exc:  # the record is down: judge by the live state and the last figures
                    log.warning("alert rules: the SQL record did not answer (%s); retrying next tick", exc)
            active = set(client.hkeys(keys.ALERTS))
            readings = evaluate(read_live(self.desk.scripts), figures, self.cfg.rules, now, active)
            return apply(self.desk.alerts, readings, active)
