"""What the Trainer view writes (helpdesk/training/examples.py) is training data Rasa takes: masked messages become
examples with the shop's placeholders and entity annotations, a buyer's brackets cannot smuggle markup in, and the
whole training data with the reviewed file stays clean under `rasa data validate --fail-on-warnings`."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from helpdesk.training.examples import BadExample, ReviewedFile, ReviewedFileError, example_line, known_examples
from scripts.training_data import render
from shop import formats
from shop.masking import mask
from shop.settings import ROOT, Settings

MESSAGES = [  # (what the buyer wrote, the intent a trainer picked)
    ("my name is Lily Chen, call 13812345678 about A10001 pls", "inform_phone"),
    ("我叫陈静，邮箱 chen.j@example.cn，订单A10002还没到", "order_status"),
    ("[free](product) stuff? {size} {order_number}", "out_of_scope"),
    ("can u send it to my office instead 🙏", "change_address"),
]


def test_masked_messages_become_clean_example_lines():
    lines = [example_line(mask(text, ["A99999"])) for text, _ in MESSAGES]
    assert lines[0] == "my name is Sam, call [555-010-0199](phone) about [{order_number}](order_number) pls"
    assert lines[1] == "我叫小王，邮箱 [buyer@example.com](email)，订单[{order_number}](order_number)还没到"
    assert lines[2] == "(free)(product) stuff? (size) (order_number)"
    assert lines[3] == "can u send it to my office instead 🙏"
    with pytest.raises(BadExample):
        example_line(" \x00\n ")
    with pytest.raises(BadExample):
        example_line("x" * (formats.MAX_EXAMPLE_CHARS + 1))


def test_the_file_keeps_what_it_did_not_write_and_refuses_what_it_cannot_keep(tmp_path):
    reviewed = ReviewedFile(tmp_path / "reviewed.yml")
    assert reviewed.add("greet", "yo shop") == 1
    assert reviewed.add("greet", "yo shop") == 1  # twice is once
    assert reviewed.add("thanks", "ta muchly") == 2
    assert known_examples(reviewed.path)["yo shop"] == ("greet", "reviewed.yml")
    assert reviewed.remove("yo shop") and not reviewed.remove("yo shop")
    assert [b["intent"] for b in yaml.safe_load(reviewed.path.read_text())["nlu"]] == ["thanks"]
    reviewed.path.write_text('version: "3.1"\nnlu:\n- synonym: tea\n  examples: |\n    - cha\n')
    with pytest.raises(ReviewedFileError):
        reviewed.add("greet", "hi")
    assert "synonym: tea" in reviewed.path.read_text()  # left as it was


@pytest.mark.slow
def test_the_training_data_with_the_reviewed_file_validates(tmp_path, sqlite_shop):
    reviewed = ReviewedFile(tmp_path / "reviewed.yml")
    for text, intent in MESSAGES:
        reviewed.add(intent, example_line(mask(text, ["A99999"])))
    settings = Settings.from_env({"DATABASE_URL": sqlite_shop, "KEFU_REVIEWED_NLU": str(reviewed.path),
                                  "KEFU_VAR_DIR": str(tmp_path / "var")})  # fmt: skip
    out = render(settings, tmp_path / "nlu")
    accepted = load_data(str(out / "accepted_reviewed.yml")).intent_examples
    assert len(accepted) == len(MESSAGES)
    first = next(m for m in accepted if m.get("intent") == "inform_phone")
    assert {e["entity"] for e in first.get("entities")} == {"phone", "order_number"}
    assert "{order_number}" not in first.get("text")  # filled with an order number of the shop's format
    done = subprocess.run(
        [sys.executable, "-m", "scripts.rasa_cli", "data", "validate", "--domain", "domain", "--data", str(out),
         str(ROOT / "data" / "rules"), "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
