"""The helpdesk's command line.

python -m helpdesk.web serve [--port 5057] [--keep-online amy,ben]   the service (any number of them)
python -m helpdesk.web audit                     check the live state and the record; exit 1 on a problem
python -m helpdesk.web rebuild                   restore Redis from the SQL record (the service does it too)
python -m helpdesk.web set-password AGENT [--password-stdin]
python -m helpdesk.web demo-passwords --password-stdin      the same password for every agent (the demo)
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import time
from typing import List, Optional

from helpdesk.alert_webhook import refuse_unsigned_webhook
from helpdesk.desk import Desk
from helpdesk.record import accounts
from helpdesk.record.audit import record_problems
from helpdesk.record.models import open_record
from helpdesk.record.rebuild import rebuild
from helpdesk.web.app import create_app
from shop.config import load_shop_config
from shop.platforms import refuse_without_store_settings
from shop.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    agents = [a for a in args.keep_online.split(",") if a]
    app = create_app(f"kefu-helpdesk-{args.port}", settings, keep_online=agents)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m helpdesk.web", description="the kefu helpdesk")
    sub = ap.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the helpdesk service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5057)
    serve.add_argument("--keep-online", default="", help="comma-separated agent ids (demo)")
    sub.add_parser("audit", help="check the live state and the SQL record")
    sub.add_parser("rebuild", help="restore the live state in Redis from the SQL record")
    password = sub.add_parser("set-password", help="set one agent's console password")
    password.add_argument("agent")
    password.add_argument("--password-stdin", action="store_true")
    demo = sub.add_parser("demo-passwords", help="the same console password for every agent")
    demo.add_argument("--password-stdin", action="store_true")
    args = ap.parse_args(argv)

    settings = Settings.from_env()
    if args.command == "serve":
        settings.refuse_unsafe_start()
        cfg = load_shop_config(settings.shop_config)
        refuse_without_store_settings(cfg, settings)
        refuse_unsigned_webhook(cfg, settings)
        return _serve(args, settings)
    cfg = load_shop_config(settings.shop_config)
    db = open_record(settings.helpdesk_database_url)
    if args.command in ("set-password", "demo-passwords"):
        known = sorted(a.id for a in cfg.helpdesk.agents)
        agents = known if args.command == "demo-passwords" else [args.agent]
        if args.command == "set-password" and args.agent not in known:
            sys.exit(f"no agent {args.agent!r} in the shop config ({', '.join(known)})")
        secret = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
        try:
            with db.begin() as session:
                for agent in agents:
                    accounts.set_password(session, agent, secret)
        except ValueError as exc:
            sys.exit(str(exc))
        print(f"password set for {', '.join(agents)}")
        return
    desk = Desk.connect(settings, cfg)
    if args.command == "rebuild":
        logging.basicConfig(level=logging.INFO)
        started = time.time()
        count = rebuild(desk, db, cfg)
        print(f"restored {count} open handoffs in {time.time() - started:.2f} s")
        return
    problems = desk.audit()
    with db() as session:
        problems += record_problems(session)
    for p in problems:
        print(p)
    print(f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
