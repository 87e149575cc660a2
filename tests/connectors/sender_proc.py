"""One outbox sender in its own process, for the multi-process test.

python -m tests.connectors.sender_proc REDIS_URL API_URL TOKEN
"""

from __future__ import annotations

import asyncio
import sys

from connectors.marketplace.outbox import Outbox, RetryPolicy, Sender
from connectors.marketplace.wire import WIRE
from helpdesk.redis_conn import connect

if __name__ == "__main__":
    redis_url, api_url, token = sys.argv[1:4]
    policy = RetryPolicy(attempts=50, first_delay_s=0.05, max_delay_s=0.2, timeout_s=2, lease_s=1)
    sender = Sender(
        Outbox(connect(redis_url, "var"), "marketplace"), WIRE, api_url, "shop-1", token, policy, poll_s=0.05
    )
    asyncio.run(sender.run())
