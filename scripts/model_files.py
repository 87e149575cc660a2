"""The files of one shop's model in models/, and the moves between them.

    models/kefu.tar.gz            live: what Rasa serves (make demo, make shell, the end-to-end tests)
    models/kefu.training.tar.gz   `rasa train` writes here; only a finished training goes live
    models/kefu.previous.tar.gz   the live model the last training replaced: `make eval` compares against it
    models/kefu.refused.tar.gz    a new model `make eval` refused (it lost too much); `make eval FORCE=1` promotes it
    models/kefu.accepted.json     which live model `make eval` accepted, or was forced to: it is judged once

(models/kefu-teahouse.* for the second demo shop: the names follow the live model's.) Every move is a
rename inside models/, so nothing ever sees half a model; a model that goes live again is touched, so
that make, which compares modification times, does not retrain it at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ModelFiles:
    live: Path

    def _beside(self, role: str, suffix: str = SUFFIX) -> Path:
        return self.live.with_name(f"{self.live.name.removesuffix(SUFFIX)}.{role}{suffix}")

    @property
    def training(self) -> Path:
        return self._beside("training")

    @property
    def previous(self) -> Path:
        return self._beside("previous")

    @property
    def refused(self) -> Path:
        return self._beside("refused")

    @property
    def record(self) -> Path:
        return self._beside("accepted", ".json")

    def rotate_in(self) -> List[str]:
        """A training finished: the live model becomes the previous one and the new one goes live. A model
        refused earlier and the record of the last acceptance are dropped: the new model supersedes them."""
        done = []
        if self.live.exists():
            os.replace(self.live, self.previous)
            done.append(f"{self.live.name} -> {self.previous.name}")
        os.replace(self.training, self.live)
        done.append(f"{self.training.name} -> {self.live.name}")
        for stale in (self.refused, self.record):
            if stale.exists():
                stale.unlink()
                done.append(f"removed {stale.name}")
        return done

    def discard_training(self) -> None:
        """A training failed or was interrupted: what it left is not a model."""
        self.training.unlink(missing_ok=True)

    def roll_back(self) -> None:
        """The live model was refused: it is kept for inspection and the previous one goes live again."""
        os.replace(self.live, self.refused)
        os.replace(self.previous, self.live)
        os.utime(self.live)

    def promote_refused(self) -> None:
        """Forced: the refused model goes live, and the live one becomes the previous one again."""
        if self.live.exists():
            os.replace(self.live, self.previous)
        os.replace(self.refused, self.live)
        os.utime(self.live)
        self.record.unlink(missing_ok=True)

    def accept(self, forced: bool, lost: List[str]) -> None:
        """Remember that the live model passed the gate (or was forced through): later evaluations show the
        comparison again, but do not roll it back."""
        record = {"model": self.live.name, "sha256": _sha256(self.live), "forced": forced, "lost": lost,
                  "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}  # fmt: skip
        self.record.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")

    def acceptance(self) -> Optional[Dict]:
        """The record of the live model's acceptance; None if it was never accepted (or the file changed since)."""
        try:
            record = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and record.get("sha256") == _sha256(self.live) else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
