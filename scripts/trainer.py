"""The trainer's loop from the command line, as the console's Trainer view does it (helpdesk/training/):

    python -m scripts.trainer inbox [--since 7d] [--below 0.6] [--limit 50] [--json]   # what the bot missed
    python -m scripts.trainer accept KEY INTENT     # write the entry as an example of INTENT (data/nlu/reviewed.yml)
    python -m scripts.trainer ignore KEY
    python -m scripts.trainer undo KEY
    python -m scripts.trainer decisions [--limit 20]
    python -m scripts.trainer intents

`make harvest` runs the inbox. Then `make train` and `make eval` retrain and compare (README "Trainer workflow").
Reads the stored conversations (TRACKER_DATABASE_URL) and the handoff record (HELPDESK_DATABASE_URL) of the
environment; writes the file KEFU_REVIEWED_NLU names (default data/nlu/reviewed.yml).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import Optional, Sequence

from helpdesk.record.models import open_record
from helpdesk.training import inbox as loop
from helpdesk.training.examples import BadExample, ReviewedFile, ReviewedFileError, relative
from helpdesk.training.harvest import parse_since
from shop.config import load_shop_config
from shop.db import close
from shop.settings import Settings


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m scripts.trainer", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    inbox = sub.add_parser("inbox", help="the messages the bot missed, masked, counted, the most frequent first")
    inbox.add_argument("--since", default="7d", help="how far back: 24h, 7d, 2w (default 7d)")
    inbox.add_argument("--below", type=float, default=None, help="confidence under which a guess counts as missed "
                       "(default shop.yml handoff.unclear_below)")  # fmt: skip
    inbox.add_argument("--limit", type=int, default=50, help="entries shown (default 50)")
    inbox.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    accept = sub.add_parser("accept", help="write an entry as an example of an intent")
    accept.add_argument("key")
    accept.add_argument("intent")
    sub.add_parser("ignore", help="drop an entry from the inbox for good").add_argument("key")
    sub.add_parser("undo", help="take a decision back").add_argument("key")
    decisions = sub.add_parser("decisions", help="the latest decisions")
    decisions.add_argument("--limit", type=int, default=20)
    sub.add_parser("intents", help="the intents an entry may be accepted as")
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.command == "intents":
        for item in loop.intents():
            print(f"{item['category']:10} {item['intent']}")
        return 0
    settings = Settings.from_env()
    cfg = load_shop_config(settings.shop_config)
    record = open_record(settings.helpdesk_database_url)
    trainer = loop.Trainer(settings.tracker_database_url, record, cfg, ReviewedFile(settings.reviewed_nlu))
    try:
        return _run(ap, args, trainer)
    except (loop.UnknownEntry, loop.UnknownIntent) as exc:
        kind = "entry" if isinstance(exc, loop.UnknownEntry) else "intent (see: python -m scripts.trainer intents)"
        print(f"no such {kind}: {exc}", file=sys.stderr)
    except (loop.AlreadyExample, BadExample, ReviewedFileError) as exc:
        print(f"not written: {exc}", file=sys.stderr)
    finally:
        close(record)
    return 1


def _run(ap: argparse.ArgumentParser, args: argparse.Namespace, trainer: loop.Trainer) -> int:
    if args.command == "inbox":
        try:
            since = time.time() - parse_since(args.since)
        except ValueError as exc:
            ap.error(str(exc))
        entries = trainer.inbox(since, args.below)
        shown = entries[: max(0, args.limit)]
        if args.json:
            for entry in shown:
                print(json.dumps(entry.as_dict(), ensure_ascii=False))
            return 0
        print(f"{len(entries)} distinct missed messages since {args.since} (showing {len(shown)}):")
        for e in shown:
            hint = f"; agent says {e.suggested}" if e.suggested else ""
            guessed = ", ".join(e.guesses) or "-"
            print(f"{e.key} {e.count:>4}  {e.text[:80]!r}  [{', '.join(e.why)}; guessed {guessed}{hint}]  "
                  f"e.g. {e.conversations[0]}")  # fmt: skip
        return 0
    if args.command in ("accept", "ignore"):
        intent = args.intent if args.command == "accept" else None
        made = trainer.decide(args.key, intent, f"cli:{getpass.getuser()}"[:40], time.time())
        where = f" -> {made['file']} ({made['examples_in_file']} examples)" if made["example"] else ""
        print(f"{made['decision']}: {made['text']!r}{where}")
        return 0
    if args.command == "undo":
        if not trainer.undo(args.key):
            print(f"no decision on {args.key}", file=sys.stderr)
            return 1
        print(f"undone: {args.key} is back in the inbox; {relative(trainer.reviewed.path)} updated")
        return 0
    for d in trainer.decisions(args.limit):  # decisions
        print(f"{d['key']} {d['decision']:18} {d['trainer']:12} {d['text'][:70]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
