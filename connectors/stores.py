"""Where the Rasa server keeps conversations and turn locks, named by kefu's own URLs.

    tracker_store:
      type: connectors.stores.KefuTrackerStore   # Rasa's SQL store at TRACKER_DATABASE_URL
    lock_store:
      type: connectors.stores.KefuLockStore      # Rasa's Redis lock store at REDIS_URL

Both are Rasa's own stores; they only read the URL from the environment (shop/settings.py) like every
other kefu process, and survive a restart of their server. With them any number of Rasa processes can
serve the same conversations: the lock keeps one turn of a conversation at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, List, Optional

import redis
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.utils.endpoints import EndpointConfig

from helpdesk import keys
from shop.settings import Settings

log = logging.getLogger(__name__)


class KefuTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store at TRACKER_DATABASE_URL (a SQLite file under var/ by default)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = host or Settings.from_env().tracker_database_url
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        # Rasa's engine keeps pooled connections that a database restart leaves dead; pre-ping
        # replaces them before use, so the first turn after the restart is not lost.
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        log.info("conversations are kept in %s", self.engine.url.render_as_string(hide_password=True))

    # Rasa runs every query on the server's event loop, so each turn's reads and writes stopped all other
    # conversations; here they run in a worker thread and the loop goes on with other turns meanwhile.

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(self._read, sender_id, fetch_events_from_all_sessions)

    def _read(self, sender_id: str, all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, all_sessions).with_entities(self.SQLEvent.data)
            events = [json.loads(data) for (data,) in query.all()]  # the JSON only: no ORM object per event
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save, publishing what it stored. Rasa's own reads the whole stored conversation back to
        find the new events for the broker, then counts the stored events to find them again; the new
        events are simply those after the stored ones, so one count does (README "Benchmarks")."""
        new_events = await asyncio.to_thread(self._write, tracker)
        if self.event_broker is not None:  # on the loop: Rasa's brokers are not thread-safe
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _write(self, tracker: DialogueStateTracker) -> List[Event]:
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            for event in new_events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        return new_events


def _sqlite_wal(connection: Any, _: Any) -> None:
    """The demo's SQLite file: write-ahead log, synced at checkpoints, not at every turn's commit (a power
    cut may lose the last turns, a crash of the process none; README "Benchmarks")."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KefuLockStore(RedisLockStore):
    """Rasa's Redis lock store on REDIS_URL (or the `url` in endpoints.yml)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        timeout = float((endpoint_config.kwargs if endpoint_config else {}).get("socket_timeout", 10))
        url = (endpoint_config.url if endpoint_config else None) or Settings.from_env().redis_url
        if not url:
            raise ValueError("the Redis lock store needs REDIS_URL (the demo's stack sets it)")
        super().__init__(socket_timeout=timeout)
        self.red = redis.StrictRedis.from_url(url, socket_timeout=timeout)  # Rasa's own takes host and port
        self.key_prefix = keys.RASA_LOCK_PREFIX
