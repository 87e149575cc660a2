"""Train one shop's model: its NLU data from its catalog (scripts/training_data.py), then `rasa train`.

    python -m scripts.train                                         # shop.yml -> models/kefu.tar.gz
    KEFU_SHOP_CONFIG=demo_shops/teahouse/shop.yml python -m scripts.train   # -> models/kefu-teahouse.tar.gz

`make train` (SHOP=teahouse for the second demo shop) runs this. Rasa skips the training when neither the
rendered data nor the config, domain and rules changed since the model in models/ was trained. The
built-in demo shop's database is seeded first if it is empty (scripts/training_data.py); a demo shop on a
platform is served by its fake platform while its catalog is read.
"""

from __future__ import annotations

import subprocess
import sys

from scripts.stack import BIN, serving_demo_platform
from scripts.training_data import model_path, render
from shop.settings import ROOT, Settings


def main() -> None:
    settings = Settings.from_env()
    force = sys.argv[1:] == ["--force"]  # make's model target: an input changed that Rasa's fingerprint misses (code)
    with serving_demo_platform(settings.shop_config) as platform_env:
        out = render(Settings.from_env({**settings.environ, **platform_env}))
    model = model_path(settings)
    command = [str(BIN / "python"), "-m", "scripts.rasa_cli", "train", "--data", str(out), str(ROOT / "data" / "rules"),
               "--domain", "domain", "--config", "config.yml", "--out", str(model.parent),
               "--fixed-model-name", model.name.removesuffix(".tar.gz"), *(["--force"] if force else [])]  # fmt: skip
    sys.exit(subprocess.run(command, cwd=ROOT).returncode)


if __name__ == "__main__":
    main()
