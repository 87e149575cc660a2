# kefu — `make help` lists the targets.
SHELL := /bin/bash
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

PYENV_PY := $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python3
PY310 := $(shell if [ -x "$(PYENV_PY)" ]; then echo "$(PYENV_PY)"; else command -v python3.10; fi)
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
# SHOP=teahouse: the demo shop of demo_shops/teahouse/ (its own shop.yml, catalog and model); none: shop.yml
SHOP ?=
ifeq ($(SHOP),)
MODEL := models/kefu.tar.gz
else
export KEFU_SHOP_CONFIG := $(CURDIR)/demo_shops/$(SHOP)/shop.yml
MODEL := models/kefu-$(SHOP).tar.gz
endif
# the end-to-end tests run on both demo shops
SECOND_MODEL := models/kefu-teahouse.tar.gz
TRAIN_INPUTS := config.yml shop.yml $(wildcard domain/*.yml) $(wildcard data/*/*.yml) $(wildcard components/*.py components/*.txt) \
	scripts/training_data.py shop/parsing.py shop/formats.py

.PHONY: help demo prod test test-fast install install-test browser proxy rasa-webchat s3rver train connect seed validate eval stories lint shell bench bench-handoff bench-reply bench-marketplace bench-scale bench-long bench-platforms bench-reports bench-trainer bench-inbox bench-search seed-history soak lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

demo: install $(MODEL)  ## set up, train if needed, seed the demo shop, start everything, print the URLs
	$(PY) -m scripts.stack

prod: install proxy $(MODEL)  ## 3 Rasa, action and helpdesk processes behind HAProxy, KEFU_ENV=production, on PostgreSQL/Redis/RabbitMQ
	$(PY) -m scripts.stack --prod

test: install-test browser proxy rasa-webchat s3rver $(MODEL) $(SECOND_MODEL)  ## lint, data validation, unit + integration + end-to-end tests (both demo shops), story tests
	$(VENV)/bin/ruff check .
	@mkdir -p results
	$(PY) -m scripts.training_data >/dev/null
	$(RASA) data validate --domain domain --data var/nlu/shop data/rules --fail-on-warnings >results/validate.log 2>&1 \
		|| { cat results/validate.log; exit 1; }
	$(PY) -m shop.config
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory stories

test-fast: install-test  ## pytest without the tests marked slow (end-to-end, stress, heartbeat expiry): under 2 minutes
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow"

install: $(VENV)/.installed  ## create the Python 3.10 venv and install the pinned dependencies

install-test: $(VENV)/.installed-test  ## install also the test tools (requirements-test.lock)

$(VENV)/.installed: requirements.lock
	@test -n "$(PY310)" || { echo "Python 3.10 not found (pyenv 3.10.13 or python3.10 on PATH)"; exit 1; }
	test -x $(PY) || $(PY310) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install -q -r requirements-test.lock -c requirements.lock
	touch $@

browser:  ## Debian's chromium (and a CJK font) for the browser tests; Playwright drives it, never downloads one
	@command -v chromium >/dev/null || apt-get install -y -q chromium fonts-wqy-microhei \
		|| { apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei; }

rasa-webchat: install  ## the unmodified rasa-webchat widget from npm (pinned, hash-checked) for its browser test
	@$(PY) -m scripts.rasa_webchat >/dev/null

s3rver: install  ## s3rver from npm (pinned by fake_platforms/s3rver/package-lock.json) for the S3 file store's test
	@$(PY) -m fake_platforms.s3 >/dev/null

proxy:  ## Debian's HAProxy, in front of the processes of make prod and the scale-out tests
	@command -v haproxy >/dev/null || apt-get install -y -q haproxy || { apt-get update -q && apt-get install -y -q haproxy; }

train: install  ## the shop's training data from its catalog, then train; the model it replaces is kept (kefu.previous)
	$(PY) -m scripts.train

$(MODEL): $(TRAIN_INPUTS) | $(VENV)/.installed
	$(PY) -m scripts.train --force

$(SECOND_MODEL): $(TRAIN_INPUTS) $(wildcard demo_shops/teahouse/*) | $(VENV)/.installed
	KEFU_SHOP_CONFIG=$(CURDIR)/demo_shops/teahouse/shop.yml $(PY) -m scripts.train --force

connect: install  ## check the shop platform's credentials; print counts and a sample order as the bot states it
	$(PY) -m scripts.connect

seed: install  ## (re)create the demo shop database
	$(PY) -m scripts.seed_shop --reset

seed-history: install  ## (re)seed the demo's 4 weeks of past chats ending now (make demo seeds them once by itself)
	$(PY) -m scripts.seed_history --reset

validate: install  ## rasa data validate (the shop's rendered data) + the shop config check
	$(PY) -m scripts.training_data >/dev/null
	$(RASA) data validate --domain domain --data var/nlu/$(or $(SHOP),shop) data/rules
	$(PY) -m shop.config

eval: install $(MODEL)  ## both evaluation sets; vs the previous model: refuses a loss > 0.02 in a category (FORCE=1)
	$(PY) -m scripts.evaluate --model $(MODEL) $(if $(filter 1 yes true,$(FORCE)),--force)

harvest: install  ## the messages the bot missed lately (SINCE=7d), masked and counted, from the stored conversations
	$(PY) -m scripts.trainer inbox --since $(or $(SINCE),7d)

stories: install $(MODEL)  ## dialogue story tests (rasa test core --fail-on-prediction-errors)
	@mkdir -p results
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories \
		>results/stories.log 2>&1 || { tail -40 results/stories.log; cat results/stories/failed_test_stories.yml; exit 1; }
	@grep -q "None of the test stories failed" results/stories/failed_test_stories.yml && echo "story tests: all passed"

lint: install-test  ## ruff
	$(VENV)/bin/ruff check .

shell: install $(MODEL)  ## talk to the bot in the terminal (needs `make demo` running for the actions)
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6380/0} $(RASA) shell --model $(MODEL) --port 5006 --endpoints endpoints.yml

bench: install $(MODEL)  ## benchmarks/bot_throughput.py (trains a stock bot too; takes several minutes)
	$(PY) -m benchmarks.bot_throughput

bench-handoff: install  ## benchmarks/handoff.py: assignments/s, enqueue -> assigned latency, fairness
	$(PY) -m benchmarks.handoff

bench-reply: install-test browser $(MODEL)  ## benchmarks/reply_latency.py: agent reply, console Send -> buyer's widget
	$(PY) -m benchmarks.reply_latency

bench-marketplace: install $(MODEL)  ## benchmarks/marketplace.py: webhook -> bot reply at the marketplace, vs REST
	$(PY) -m benchmarks.marketplace

bench-scale: install proxy $(MODEL)  ## benchmarks/scale.py: turns/s with 1, 2, 3 Rasa processes behind HAProxy; SQL vs in-memory store
	$(PY) -m benchmarks.scale

bench-long: install $(MODEL)  ## benchmarks/long_messages.py: a 10,000-character message vs a short one, time and RSS
	$(PY) -m benchmarks.long_messages

bench-platforms: install  ## benchmarks/platforms.py: an order lookup and a catalog read on (fake) Shopify vs kefu's SQL
	$(PY) -m benchmarks.platforms

bench-reports: install  ## benchmarks/reports.py: each report over 1M handoffs, 5M messages in PostgreSQL, vs a full scan
	$(PY) -m benchmarks.reports

bench-inbox: install  ## benchmarks/console_inbox.py: the console's inbox with 1,000 chats waiting and 200 assigned, vs before
	$(PY) -m benchmarks.console_inbox

bench-trainer: install  ## benchmarks/trainer_inbox.py: the trainer's inbox over 91 days of conversations in PostgreSQL, vs a raw read
	$(PY) -m benchmarks.trainer_inbox

bench-search: install  ## benchmarks/search.py: the console's search over 91 days of conversations in PostgreSQL, vs the History's page
	$(PY) -m benchmarks.search

soak: install proxy $(MODEL)  ## benchmarks/soak.py: 10,000 messages over 3 Rasa processes: 0 lost, 0 duplicate, RSS flat
	$(PY) -m benchmarks.soak

lock:  ## re-pin requirements.lock (requirements.in) and requirements-test.lock (requirements-test.in), in a fresh venv
	rm -rf .venv-lock && $(PY310) -m venv .venv-lock && .venv-lock/bin/pip install -q --upgrade pip
	.venv-lock/bin/pip install -q -r requirements.in && .venv-lock/bin/pip freeze --all | grep -v "^pip==" > requirements.lock
	.venv-lock/bin/pip install -q -r requirements-test.in \
		&& .venv-lock/bin/pip freeze --all | grep -v "^pip==" | grep -vxFf requirements.lock > requirements-test.lock
	rm -rf .venv-lock

clean:  ## remove models, databases and results (keeps the venv)
	rm -rf models var results
