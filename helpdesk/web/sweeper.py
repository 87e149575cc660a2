"""The timer sweeper: what happens because time passed. Every helpdesk process runs one; each job is
safe to run in several processes at once (the scripts fire a timer once, leases guard the rest).

Each tick: rebuild Redis from SQL if it lost its data; fire due reminder/reassignment timers; sign
off agents whose heartbeats stopped; resume the bot on resolved chats; copy events into SQL; evaluate the
shop.yml alert rules (helpdesk/record/alert_watch.py); POST due alerts to the webhook (helpdesk/alert_webhook.py);
roll up a few settled days for the long reports (helpdesk/reports/rollup.py), one process at a time.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date
from typing import List, Optional

from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.alert_webhook import WebhookSender
from helpdesk.desk import Desk
from helpdesk.lease import lease
from helpdesk.record.alert_watch import AlertWatch
from helpdesk.record.rebuild import ensure_state
from helpdesk.record.recorder import copy_events
from helpdesk.reports.conversion import OrderLookup
from helpdesk.reports.rollup import last_settled, roll_up_settled
from helpdesk.web.rasa_client import RasaClient, RasaUnavailable
from shop.config import ShopConfig

log = logging.getLogger(__name__)

RESUME_RETRY_S = 10
ROLLUP_DAYS_PER_TICK = 3  # a day takes a few queries over its rows: a tick stays short, a year is done in minutes
ROLLUP_LEASE_MS = 300_000


class Sweeper:
    def __init__(self, desk: Desk, record: sessionmaker, cfg: ShopConfig, rasa: Optional[RasaClient],
                 alert_webhook_secret: str = "", orders: Optional[OrderLookup] = None) -> None:  # fmt: skip
        self.desk = desk
        self.orders = orders  # the shop's orders (conversion.shop_orders), for the rollups' conversion
        self.record = record
        self.cfg = cfg
        self.rasa = rasa
        self.alerts = AlertWatch(desk, record, cfg.alerts)
        self._rolled_through: Optional[date] = None  # the settled day up to which every day is rolled up
        self.webhook = WebhookSender(desk.redis, cfg.alerts.webhook, alert_webhook_secret, cfg.shop.name.en, desk.clock)

    def tick(self) -> Counter:
        done: Counter = Counter()
        desk = self.desk
        if ensure_state(desk, self.record, self.cfg):
            done["rebuilt"] += 1
        for member in desk.timers.due():
            done[desk.timers.fire(member)[0]] += 1
        cutoff = desk.clock() - self.cfg.timers.heartbeat_timeout_s
        for agent_id in desk.agents.silent(cutoff):
            if desk.agents.expire(agent_id, cutoff) is not None:
                done["signed_off"] += 1
        done["resumed"] += len(self.resume_bots())
        try:
            done["recorded"] += copy_events(desk.redis, self.record)
        finally:  # after the copy, so the SQL rules see this tick's events; but the SQL record down stops
            # neither the live alerts nor their delivery. The webhook last: a slow receiver delays nothing above.
            done.update(self.alerts.check())
            done.update(self.webhook.send_due())
        done["rolled_up"] += self.roll_up()
        return +done

    def roll_up(self) -> int:
        """Roll up the newest settled days not rolled up yet, a few per tick; returns the days written. Once every
        settled day is done, nothing is asked of SQL again until the next day settles."""
        now = self.desk.clock()
        if self._rolled_through == last_settled(self.cfg, now):
            return 0
        with lease(self.desk.redis, "report_rollup", ttl_ms=ROLLUP_LEASE_MS) as held:
            if not held:
                return 0
            written = roll_up_settled(self.record, self.cfg, now, self.orders, ROLLUP_DAYS_PER_TICK)
        if written == 0:
            self._rolled_through = last_settled(self.cfg, now)
        return written

    def resume_bots(self, limit: int = 20) -> List[str]:
        """Tell Rasa to take over resolved chats (the outbox {kefu}:resume); retried until Rasa answers.

        Returns the conversations resumed now."""
        if self.rasa is None:
            return []
        due = self.desk.redis.zrangebyscore(keys.RESUME, "-inf", self.desk.clock(), start=0, num=limit)
        return [cid for cid in due if self._resume(cid)]

    def resume_now(self, conversation_id: str, wait_s: float = 5.0) -> bool:
        """Resume this conversation's bot now (right after a resolve); True once it is resumed."""
        deadline = time.monotonic() + wait_s
        while self.rasa is not None:
            done = self._resume(conversation_id)
            if done is not None:
                return done
            if self.desk.redis.zscore(keys.RESUME, conversation_id) is None:
                return True  # another process resumed it
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return False

    def _resume(self, cid: str) -> Optional[bool]:
        """True: resumed; False: Rasa refused, retried later; None: another process is at it."""
        client = self.desk.redis
        with lease(client, f"resume:{cid}", ttl_ms=30_000) as held:
            if not held:
                return None
            if client.zscore(keys.RESUME, cid) is None:
                return True  # done by another process before we got the lease
            try:
                self.rasa.resume(cid)
            except RasaUnavailable as exc:
                log.warning("could not resume the bot for %s, retrying in %d s: %s", cid, RESUME_RETRY_S, exc)
                client.zadd(keys.RESUME, {cid: self.desk.clock() + RESUME_RETRY_S}, xx=True)
                return False
            client.zrem(keys.RESUME, cid)
            return True
