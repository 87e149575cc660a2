"""Score the trained model on the held-out set (tests/nlu_eval/) against seed 000's keyword rules.

    python -m scripts.evaluate [--model models/kefu.tar.gz] [--min-f1 0.85] [--json results/eval.json]

Prints per-intent precision/recall/F1, then per-category F1 by language (en, zh, mixed) for the
model and for the keyword table, and exits 1 if any of the five question categories is below
--min-f1 in English or Chinese.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from components.language import HAS_CJK
from shop.categories import FIVE, category_of
from shop.parsing import without_order_numbers
from shop.settings import ROOT

# Seed 000's auto-reply trigger table, in its order: the first category whose keyword appears wins.
KEYWORD_RULES: List[Tuple[str, List[str]]] = [
    ("order", ["订单号", "物流", "发货时间", "tracking"]),
    ("returns", ["退货", "换货", "不满意", "refund", "return"]),
    ("product", ["尺码", "材质", "颜色", "尺寸", "size", "怎么选"]),
    ("payment", ["支付失败", "信用卡被拒", "优惠码", "coupon", "折扣"]),
    ("complaint", ["质量问题", "损坏", "投诉", "complaint", "不满"]),
]


def keyword_category(text: str) -> str:
    t = text.lower()
    for category, words in KEYWORD_RULES:
        if any(w in t for w in words):
            return category
    return "other"


def language_bucket(text: str) -> str:
    english_words = re.findall(r"[A-Za-z]{2,}", without_order_numbers(text))
    if not HAS_CJK.search(text):
        return "en"
    # product names and sizes alone do not make a Chinese message mixed
    return "mixed" if len([w for w in english_words if len(w) > 2]) >= 2 else "zh"


def prf(gold: List[str], pred: List[str], label: str) -> Tuple[float, float, float, int]:
    tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
    fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
    fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp + fn


def load_heldout(folder: Path) -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def predict(model: Path, texts: Iterable[str]) -> List[str]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append(parsed["intent"]["name"])
    return out


def evaluate(model: Path, folder: Path) -> Dict:
    examples = load_heldout(folder)
    texts = [t for t, _ in examples]
    gold_intents = [i for _, i in examples]
    pred_intents = asyncio.run(predict(model, texts))
    langs = [language_bucket(t) for t in texts]
    gold_cat = [category_of(i) for i in gold_intents]
    model_cat = [category_of(i) for i in pred_intents]
    kw_cat = [keyword_category(t) for t in texts]
    report: Dict = {"examples": len(texts), "languages": dict(Counter(langs)), "intents": {}, "categories": {}}
    for intent in sorted(set(gold_intents)):
        p, r, f, n = prf(gold_intents, pred_intents, intent)
        report["intents"][intent] = {"precision": p, "recall": r, "f1": f, "support": n}
    for lang in ("all", "en", "zh", "mixed"):
        idx = [k for k, lg in enumerate(langs) if lang == "all" or lg == lang]

        def sub(xs: List[str], idx: List[int] = idx) -> List[str]:
            return [xs[k] for k in idx]

        for cat in FIVE:
            m = prf(sub(gold_cat), sub(model_cat), cat)
            k = prf(sub(gold_cat), sub(kw_cat), cat)
            report["categories"].setdefault(cat, {})[lang] = {
                "model_f1": m[2],
                "keyword_f1": k[2],
                "support": m[3],
                "model_precision": m[0],
                "model_recall": m[1],
            }
    report["intent_accuracy"] = sum(g == p for g, p in zip(gold_intents, pred_intents, strict=True)) / len(texts)
    triples = zip(texts, gold_intents, pred_intents, strict=True)
    report["errors"] = [{"text": t, "gold": g, "predicted": p} for t, g, p in triples if g != p]
    return report


def print_report(report: Dict) -> None:
    print(f"held-out examples: {report['examples']}  by language: {report['languages']}")
    print(f"intent accuracy: {report['intent_accuracy']:.3f}\n")
    print(f"{'intent':22} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}")
    for intent, s in report["intents"].items():
        print(f"{intent:22} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d}")
    print("\ncategory F1: model / keyword rules (seed 000 table)")
    print(f"{'category':10}" + "".join(f"{lang:>20}" for lang in ("all", "en", "zh", "mixed")))
    for cat, by_lang in report["categories"].items():
        cells = "".join(
            f"{by_lang[lang]['model_f1']:>11.3f} / {by_lang[lang]['keyword_f1']:.3f}"
            for lang in ("all", "en", "zh", "mixed")
        )
        print(f"{cat:10}{cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "kefu.tar.gz"))
    ap.add_argument("--heldout", default=str(ROOT / "tests" / "nlu_eval"))
    ap.add_argument("--min-f1", type=float, default=0.85)
    ap.add_argument("--json", default=str(ROOT / "results" / "eval.json"))
    args = ap.parse_args()
    if not Path(args.model).is_file():
        sys.exit(f"no model at {args.model}: run `make train` first")
    report = evaluate(Path(args.model), Path(args.heldout))
    print_report(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    low = [(c, lang) for c in FIVE for lang in ("en", "zh") if report["categories"][c][lang]["model_f1"] < args.min_f1]
    if low:
        print(f"\nBELOW {args.min_f1}: {low}")
        sys.exit(1)
    print(f"\nall five categories >= {args.min_f1} F1 in English and Chinese; details in {args.json}")


if __name__ == "__main__":
    main()
