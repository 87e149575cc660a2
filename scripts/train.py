"""Train one shop's model: its NLU data from its catalog (scripts/training_data.py), then `rasa train`.

    python -m scripts.train [--force]                               # shop.yml -> models/kefu.tar.gz
    KEFU_SHOP_CONFIG=demo_shops/teahouse/shop.yml python -m scripts.train   # -> models/kefu-teahouse.tar.gz

`make train` (SHOP=teahouse for the second demo shop) runs this. Rasa reuses its cache (.rasa/cache) for
every part whose inputs did not change; --force (make's model target: an input changed that Rasa's
fingerprint misses, such as our components' code) retrains every part. The built-in demo shop's database
is seeded first if it is empty (scripts/training_data.py); a demo shop on a platform is served by its
fake platform while its catalog is read.

Rasa writes the new model beside the live one (scripts/model_files.py: models/kefu.training.tar.gz); only
when it finished does it go live, and the live model it replaces is kept as models/kefu.previous.tar.gz,
which `make eval` compares it with. A failed or interrupted training leaves the live model as it was.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Sequence

from scripts.model_files import ModelFiles
from scripts.progress import LogBars, duration
from scripts.stack import BIN, serving_demo_platform
from scripts.training_data import model_path, render
from shop.settings import ROOT, Settings


def rasa_train(data: Sequence[Path], files: ModelFiles, force: bool) -> List[str]:
    """The command that trains the shop's model into files.training."""
    data_args = [str(d) for d in data]
    return [str(BIN / "python"), "-m", "scripts.rasa_cli", "train", "--data", *data_args, "--domain", "domain",
            "--config", "config.yml", "--out", str(files.training.parent),
            "--fixed-model-name", files.training.name, *(["--force"] if force else [])]  # fmt: skip


def run_rasa(command: Sequence[str]) -> int:
    """Rasa's own output as it comes; in a log (no terminal) its epoch bars thinned to a line now and then."""
    if sys.stderr.isatty():
        return subprocess.run(command, cwd=ROOT).returncode
    proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)
    bars = LogBars(sys.stderr.buffer)
    try:
        while chunk := proc.stderr.read1(1 << 16):
            bars.feed(chunk)
        return proc.wait()
    finally:
        bars.close()
        if proc.poll() is None:  # interrupted: the training does not go on behind the trainer's back
            proc.terminate()
            proc.wait()


def train(command: Sequence[str], files: ModelFiles) -> int:
    """Run a training that writes files.training; only a finished one goes live (the live one kept as previous)."""
    files.discard_training()  # the remains of an interrupted training are no model
    print(f"training into {files.training} (Rasa's output follows)", flush=True)
    started = time.monotonic()
    try:
        code = run_rasa(command)
    except BaseException:
        files.discard_training()
        raise
    if code != 0 or not files.training.is_file():
        files.discard_training()
        print(f"training FAILED (exit {code}) after {duration(time.monotonic() - started)}: "
              f"{files.live} is unchanged", flush=True)  # fmt: skip
        return code or 1
    print(f"trained in {duration(time.monotonic() - started)}", flush=True)
    for move in files.rotate_in():
        print(f"rotating: {move}", flush=True)
    if files.previous.exists():
        print(f"{files.live} is live; {files.previous.name} is kept: `make eval` compares the two", flush=True)
    return 0


def main(argv: List[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="retrain every part, even those Rasa's cache holds")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    files = ModelFiles(model_path(settings))
    print(f"rendering the training data of {settings.shop_config}", flush=True)
    started = time.monotonic()
    with serving_demo_platform(settings.shop_config) as platform_env:
        out = render(Settings.from_env({**settings.environ, **platform_env}))
    print(f"rendered in {duration(time.monotonic() - started)}", flush=True)
    files.live.parent.mkdir(parents=True, exist_ok=True)
    sys.exit(train(rasa_train([out, ROOT / "data" / "rules"], files, args.force), files))


if __name__ == "__main__":
    main()
