"""The walls of the house: imports run one way, and each kind of thing has one place.

Every module of ours is read with ast (nothing is imported or run). README "Architecture" draws the same rules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

from shop import formats
from shop.settings import ROOT

PACKAGES = ("shop", "helpdesk", "actions", "connectors", "components", "carrier", "fake_marketplace",
            "fake_platforms", "scripts", "benchmarks")  # fmt: skip

# room -> the rooms it may import (besides itself). The helpdesk is split: its live-queue library
# ("helpdesk"), the SQL record above it, the supervisors' reports and the trainer's loop above the record, and the
# web service on top.
MAY_IMPORT: Dict[str, Set[str]] = {
    "shop": set(),
    "helpdesk": {"shop"},
    "helpdesk.record": {"shop", "helpdesk"},
    "helpdesk.reports": {"shop", "helpdesk", "helpdesk.record"},
    "helpdesk.training": {"shop", "helpdesk", "helpdesk.record"},
    "helpdesk.web": {"shop", "helpdesk", "helpdesk.record", "helpdesk.reports", "helpdesk.training"},
    "actions": {"shop", "helpdesk"},
    "connectors": {"shop", "helpdesk"},
    "components": {"shop"},
    "carrier": {"shop"},
    # it speaks the marketplace's wire format (connectors/marketplace), and serves its order API (fake_platforms)
    "fake_marketplace": {"shop", "connectors", "fake_platforms"},
    "fake_platforms": {"shop"},  # stand-ins for Shopify, WooCommerce and the marketplace's order API
    # entry points: anything but the actions, which only Rasa's action server loads
    "scripts": {"shop", "helpdesk", "helpdesk.record", "helpdesk.reports", "helpdesk.training", "helpdesk.web",
                "connectors", "components", "carrier", "fake_marketplace", "fake_platforms"},
    "benchmarks": {"shop", "helpdesk", "helpdesk.record", "helpdesk.reports", "helpdesk.training", "helpdesk.web",
                   "connectors",
                   "components", "carrier", "fake_marketplace", "fake_platforms", "scripts"},
}  # fmt: skip


def room_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "helpdesk" and len(parts) > 1 and parts[1] in ("record", "reports", "training", "web"):
        return f"helpdesk.{parts[1]}"
    return parts[0]


def modules() -> Iterator[Tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def imports_of(path: Path) -> Iterator[Tuple[int, str]]:
    """(line, module) for every import in the file, at any depth (inside functions too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def wrong_way_imports() -> List[str]:
    ours = set(MAY_IMPORT) | {"helpdesk"}
    found = []
    for module, path in modules():
        here = room_of(module)
        for line, target in imports_of(path):
            there = room_of(target)
            if there.split(".")[0] in {r.split(".")[0] for r in ours} and there != here:
                if there not in MAY_IMPORT[here]:
                    found.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {target} ({there})")
    return found


def test_imports_run_one_way():
    assert wrong_way_imports() == []


def test_the_wall_check_sees_a_wrong_way_import(tmp_path, monkeypatch):
    """The check itself can fail: a shop module that imports the helpdesk is reported."""
    fake_root = tmp_path
    (fake_root / "shop").mkdir()
    (fake_root / "shop" / "bad.py").write_text("def f():\n    from helpdesk.desk import Desk\n")
    monkeypatch.setattr("tests.test_layers.ROOT", fake_root)
    monkeypatch.setattr("tests.test_layers.PACKAGES", ("shop",))
    assert wrong_way_imports() == ["shop/bad.py:2 (shop) imports helpdesk.desk (helpdesk)"]


def _python_files_outside(*allowed: str) -> Iterator[Tuple[Path, str]]:
    for _, path in modules():
        rel = str(path.relative_to(ROOT))
        if rel not in allowed:
            yield path, path.read_text(encoding="utf-8")


def test_only_the_settings_read_the_environment():
    # scripts/stack.py hands its own environment on to the processes it starts; it reads no variable
    readers = [
        str(path.relative_to(ROOT))
        for path, text in _python_files_outside("shop/settings.py", "scripts/stack.py", "benchmarks/bot_throughput.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", text)
    ]
    assert readers == []


def test_redis_keys_are_named_only_in_keys_py():
    code = [
        p
        for p, text in _python_files_outside("helpdesk/keys.py")
        if "{kefu}" in _code_only(text) or re.search(r"\bPREFIX\b", text)
    ]
    lua_code = {p: re.sub(r"--.*", "", p.read_text()) for p in (ROOT / "helpdesk" / "lua").glob("*.lua")}
    lua = [p for p, text in lua_code.items() if "{kefu}" in text or re.search(r"\.\. *':", text)]
    assert code == [] and lua == []


def _code_only(text: str) -> str:
    """The source without docstrings and comments (which may name keys to explain them)."""
    tree = ast.parse(text)
    strings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
    docstrings = {
        ast.get_docstring(n, clean=False)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return "\n".join(s for s in strings if s not in docstrings)


def test_sql_models_live_in_two_files():
    homes = {"shop/models.py", "helpdesk/record/models.py"}
    found = set()
    for _, path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(s, ast.Assign) and any(getattr(t, "id", "") == "__tablename__" for t in s.targets)
                for s in node.body
            ):
                found.add(str(path.relative_to(ROOT)))
    assert found == homes


def test_shared_patterns_and_limits_are_written_once():
    patterns = [formats.AGENT_ID, formats.CONVERSATION_ID, formats.SHORTCUT, formats.EMAIL, formats.CJK,
                *formats.PHONES.values()]  # fmt: skip
    literals = [r"\d{5}", "10_000", "4000", "4_000", "64 * 1024", "65536", '"mon", "tue"', "1e14", "10**14"]
    homes = {'"mon", "tue"': "shop/config.py", "10**14": "helpdesk/scripts.py"}  # the weekdays', the queue's
    found = []
    for path, text in _python_files_outside("shop/formats.py"):
        rel, code = str(path.relative_to(ROOT)), _code_only(text)
        found += [f"{rel}: {p}" for p in patterns if p in code]
        found += [f"{rel}: {x}" for x in literals if x in text and homes.get(x) != rel]
    assert found == []
