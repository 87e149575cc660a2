"""Rasa's command line without JAX: `python -m scripts.rasa_cli run ...` is `rasa run ...` in 95 MB less.

TensorFlow 2.12 depends on JAX and imports it at start-up for tf.lite's JAX converter, which Rasa never
uses; that import alone holds about 95 MB in every Rasa process (measured: `import tensorflow` takes
522 MB of RSS, 428 MB with JAX blocked). Marking the module missing gives TensorFlow the ImportError it
already handles. The demo stack and the benchmarks start the Rasa server (and the stock bot) this way,
and the action server too: with KEFU_ENV=production both refuse to start without their secrets.
"""

from __future__ import annotations

import sys

from shop.config import load_shop_config
from shop.platforms import refuse_without_store_settings
from shop.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    settings.refuse_unsafe_start()
    if sys.argv[1:3] == ["run", "actions"]:  # the action server reads the shop's platform: its secrets must be set
        refuse_without_store_settings(load_shop_config(settings.shop_config), settings)
    sys.modules["jax"] = None  # type: ignore[assignment]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
