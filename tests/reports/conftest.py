"""The helpdesk's fixtures (tests/helpdesk/conftest.py) for the reports' tests too: a real Redis with a clock the
test moves, the record on SQLite then PostgreSQL, and a served helpdesk."""

from tests.helpdesk.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    clock,
    hd,
    helpdesk_db,
    make_desk,
    record_db,
    serve_helpdesk,
    start_redis_server,
)
