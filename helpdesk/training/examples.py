"""The examples a trainer accepted, as NLU training data in Rasa's format: the reviewed-examples file (shop.settings
reviewed_nlu, data/nlu/reviewed.yml by default), which `make train` renders and trains on with the rest of data/nlu/.

A masked message becomes an example line (example_line): an order number becomes the ``{order_number}`` placeholder
that scripts/training_data.py fills from the shop's own formats, an email or phone a made-up one annotated as the
entity, a name a made-up name; brackets and braces a buyer typed become parentheses, so that no message can smuggle
in an entity annotation or a placeholder. The file is the truth for what is trained: lines are added and removed
in place (under a lock, then renamed into place), and whatever else a trainer wrote in it by hand stays.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import yaml

from shop import formats
from shop.masking import EMAIL_MARK, NAME_MARK, ORDER_MARK, PHONE_MARK
from shop.settings import ROOT

NLU_DIR = ROOT / "data" / "nlu"  # the examples we wrote (templates: scripts/training_data.py fills them)
HEADER = (
    "# Examples a trainer accepted in kefu's Trainer view or with `python -m scripts.trainer`: buyers' own words,\n"
    "# masked (helpdesk/training/examples.py). `make train` trains on them with the rest of data/nlu/.\n"
)
# what a mask stands for in an example, by the example's language
FILLS: Dict[str, Dict[str, str]] = {
    ORDER_MARK: {"en": "[{order_number}](order_number)", "zh": "[{order_number}](order_number)"},
    EMAIL_MARK: {"en": "[buyer@example.com](email)", "zh": "[buyer@example.com](email)"},
    PHONE_MARK: {"en": "[555-010-0199](phone)", "zh": "[13912345678](phone)"},
    NAME_MARK: {"en": "Sam", "zh": "小王"},
}
_MARKS = re.compile("|".join(re.escape(m) for m in FILLS))
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # "[text](entity)" -> "text"
_HAS_CJK = re.compile(f"[{formats.CJK}]")


class BadExample(ValueError):
    """A message that cannot be an example: empty once cleaned, or too long to be one intent."""


class ReviewedFileError(ValueError):
    """The reviewed-examples file holds something this module does not write (it is left as it is)."""


def example_line(masked: str) -> str:
    """The example a masked message becomes: one line, masks filled in the message's language, no markup of its own."""
    lang = "zh" if _HAS_CJK.search(masked) else "en"
    pieces = _MARKS.split(masked)
    marks = _MARKS.findall(masked)
    out = [_plain(pieces[0])]
    for mark, piece in zip(marks, pieces[1:], strict=True):
        out += [FILLS[mark][lang], _plain(piece)]
    line = " ".join("".join(out).split())
    if not line:
        raise BadExample("nothing is left of the message to learn from")
    if len(line) > formats.MAX_EXAMPLE_CHARS:
        raise BadExample(f"longer than {formats.MAX_EXAMPLE_CHARS} characters: too long to be one intent")
    return line


def _plain(text: str) -> str:
    """A buyer's words with nothing Rasa or our templates would read as markup, and nothing YAML refuses."""
    text = text.encode("utf-8", "ignore").decode("utf-8")  # lone surrogates
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return text.translate(str.maketrans("[]{}", "()()"))


def words_of(example: str) -> str:
    """What makes two examples the same: the text without annotations, case and spacing aside."""
    return " ".join(_ANNOTATION.sub(r"\1", example).casefold().split())


def intent_blocks(path: Path) -> List[Tuple[str, List[str]]]:
    """(intent, example lines) of one Rasa NLU file, in its order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks = []
    for item in data.get("nlu") or []:
        if "intent" in item:
            lines = [ln.strip() for ln in str(item.get("examples") or "").splitlines()]
            blocks.append((str(item["intent"]), [ln[2:].strip() for ln in lines if ln.startswith("- ")]))
    return blocks


def known_examples(*extra: Path) -> Dict[str, Tuple[str, str]]:
    """words -> (intent, file name) of every example in data/nlu/ and the extra files."""
    known: Dict[str, Tuple[str, str]] = {}
    paths = sorted(NLU_DIR.glob("*.yml")) + [p for p in extra if p.is_file() and p.parent != NLU_DIR]
    for path in paths:
        for intent, lines in intent_blocks(path):
            for line in lines:
                known.setdefault(words_of(line), (intent, path.name))
    return known


@dataclass
class ReviewedFile:
    """The reviewed-examples file: accepted examples under their intents."""

    path: Path

    def count(self) -> int:
        return sum(len(lines) for _, lines in self._read()) if self.path.is_file() else 0

    def add(self, intent: str, line: str) -> int:
        """Add the example under its intent (a new intent block at the end); the examples in the file after it."""
        with self._locked():
            blocks = self._read()
            for name, lines in blocks:
                if name == intent:
                    if line not in lines:
                        lines.append(line)
                    break
            else:
                blocks.append((intent, [line]))
            self._write(blocks)
            return sum(len(lines) for _, lines in blocks)

    def remove(self, line: str) -> bool:
        """Take the example out (an intent left with none goes too); whether it was there."""
        with self._locked():
            blocks = self._read()
            kept = [(name, [ln for ln in lines if ln != line]) for name, lines in blocks]
            found = sum(map(len, (lines for _, lines in kept))) < sum(map(len, (lines for _, lines in blocks)))
            if found:
                self._write([(name, lines) for name, lines in kept if lines])
            return found

    def _read(self) -> List[Tuple[str, List[str]]]:
        if not self.path.is_file():
            return []
        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        if set(data) - {"version", "nlu"} or any(set(item) - {"intent", "examples"} for item in data.get("nlu") or []):
            raise ReviewedFileError(f"{self.path} holds more than intents and their examples: edit it by hand")
        return intent_blocks(self.path)

    def _write(self, blocks: List[Tuple[str, List[str]]]) -> None:
        out = [HEADER + 'version: "3.1"', "nlu:"]
        for intent, lines in blocks:
            out += [f"- intent: {intent}", "  examples: |", *(f"    - {line}" for line in lines)]
        text = "\n".join(out) + "\n"
        yaml.safe_load(text)  # never leave a file Rasa could not read
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".reviewed-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes: a lock on the folder (the file itself is replaced on each write)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def relative(path: Path) -> str:
    """The path as a trainer would type it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
