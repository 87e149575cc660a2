"""categories.yml lists every intent of the domain exactly once."""

from collections import Counter

import yaml

from shop.categories import FIVE
from shop.settings import ROOT

EVAL_SETS = ("tests/nlu_eval", "tests/nlu_eval_real")


def test_every_domain_intent_is_in_exactly_one_category():
    domain_intents = yaml.safe_load((ROOT / "domain" / "core.yml").read_text())["intents"]
    listed = [i for intents in yaml.safe_load((ROOT / "categories.yml").read_text()).values() for i in intents]
    counts = Counter(listed)
    assert [i for i, n in counts.items() if n > 1] == []
    assert set(listed) == set(domain_intents)


def test_the_five_question_categories_exist():
    cats = yaml.safe_load((ROOT / "categories.yml").read_text())
    assert set(FIVE) <= set(cats)


def test_every_training_intent_is_in_the_domain():
    from rasa.shared.nlu.training_data.loading import load_data

    domain_intents = set(yaml.safe_load((ROOT / "domain" / "core.yml").read_text())["intents"])
    for folder in ("data/nlu", *EVAL_SETS):
        assert load_data(str(ROOT / folder)).intents <= domain_intents


def test_evaluation_sets_share_no_example_with_training(tmp_path):
    """Checked on what the demo shop trains on: its catalog filled into the examples (scripts/training_data.py)."""
    from rasa.shared.nlu.training_data.loading import load_data

    from scripts.seed_shop import seed
    from scripts.training_data import render
    from shop.settings import Settings

    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path}/shop.db", "KEFU_VAR_DIR": str(tmp_path)})
    seed(settings.database_url)
    rendered = render(settings)

    def texts(folder) -> list:
        return [m.get("text").strip().lower() for m in load_data(str(folder)).intent_examples]

    train = set(texts(rendered))
    for folder in EVAL_SETS:
        assert [t for t in texts(ROOT / folder) if t in train] == [], folder
