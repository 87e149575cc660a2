"""A redis-server of the tests' own on a TCP port, so several processes can share it."""

from __future__ import annotations

from typing import Iterator

import pytest

from scripts.stack import free_port
from tests.helpdesk.procs import start_redis


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    port = free_port()
    proc = start_redis(port, tmp_path, tmp_path / "redis.log")
    yield f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()
