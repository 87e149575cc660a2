"""Schemathesis against a real helpdesk (its own redis-server and SQLite, Rasa down on purpose): every operation
of /openapi.json, with data made from the spec, valid and invalid. Once with the service token, once as a
console login. Any server error, and any disagreement between the spec and the handlers, fails the test with
schemathesis's report.

The run is bounded: a fixed seed and a fixed number of examples per operation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from helpdesk.web import request_models as ask
from helpdesk.web.errors import ERRORS
from helpdesk.web.routes import ROUTES, Route
from helpdesk.web.validation import PATH_PARAMETERS
from tests.helpdesk.conftest import PASSWORD, helpdesk_env
from tests.helpdesk.procs import Helpdesk

pytestmark = pytest.mark.slow

SEED = 20240611
MAX_EXAMPLES = 25
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
]
# What a request valid by the spec may still be told: the conversation, agent, group or shortcut does not exist,
# the chat is not in a state for it or is someone else's, the caller is not that agent or not a supervisor, the
# password is wrong (or tried too often), Rasa is down (on purpose here), /live wants a websocket, the trainer's
# inbox has no such entry (or it is an example already, or cannot be one). These are
# answers about the helpdesk's state and the caller, not about the request's shape: valid data never gets a 400.
ACCEPTED_REFUSALS = {
    "not_found", "unknown_agent", "unknown_group", "unknown_shortcut", "not_yours", "not_waiting", "not_assigned",
    "already_resolved", "agent_full", "agent_not_online", "same_agent", "offline", "not_you", "not_supervisor",
    "bad_login", "too_many_attempts", "rasa_unavailable", "upgrade_required",
    "not_trainer", "unknown_entry", "already_example", "bad_example", "reviewed_file_edited",
    "bad_file",  # a file route's body is the file: what the fuzzer sends is no photo
}  # fmt: skip
# Invalid data is refused for its shape (400, 413), or before it is read by the login check (401) or the login
# rate limit (429); a path parameter that cannot name anything is a 404 where its refusal is (an agent id of
# another shape is an unknown agent). Never by the business logic: a 404 or 409 would mean it got that far.
REJECTED = ["400", "401", "413", "429"]
# Warnings that are faults of the spec or of this test: a pattern schemathesis cannot generate strings for, a
# documented method answered with 405, a $ref to nothing, a security scheme given no credentials, a
# per-operation setting below that matches no operation. The others are guesses from the share of 4xx answers,
# which here are the business refusals accepted above (no such conversation, not waiting, Rasa down, ...).
FAIL_ON_WARNINGS = ["unsupported_regex", "method_not_allowed", "unresolvable_reference", "unused_openapi_auth",
                    "unmatched_filter"]  # fmt: skip


@pytest.fixture
def hd(tmp_path, sqlite_shop, start_redis_server) -> Iterator[Helpdesk]:
    """The service as a process: schemathesis, in a process of its own, talks to it over HTTP."""
    service = Helpdesk(helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop), tmp_path / "helpdesk.log")
    yield service
    service.stop()


def accepted(route: Route, login_only_without_login: bool) -> List[str]:
    statuses = {ERRORS[code][0] for code in route.refusals if code in ACCEPTED_REFUSALS}
    if login_only_without_login and route.access == "login":
        statuses.add(401)  # the token is not a person: these routes take a console login only
    return ["2xx", *map(str, sorted(statuses))]


def rejected(route: Route) -> List[str]:
    statuses = {ERRORS[PATH_PARAMETERS[name][1]][0] for name in re.findall(r"{(\w+)}", route.path)}
    return REJECTED + (["404"] if 404 in statuses else [])


def toml_config(auth: Dict[str, Dict[str, str]], as_token: bool) -> str:
    q = json.dumps  # a JSON string or list of strings is a TOML one
    lines = [
        f"seed = {SEED}",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "database = 'none'",
        "[warnings]",
        f"fail-on = {q(FAIL_ON_WARNINGS)}",
    ]
    for scheme, values in auth.items():
        lines += [f"[auth.openapi.{scheme}]", *(f"{k} = {q(v)}" for k, v in values.items())]
    for route in ROUTES:
        lines += [
            "[[operations]]",
            f"include-name = {q(f'{route.method.upper()} {route.path}')}",
            f"checks.positive_data_acceptance.expected-statuses = {q(accepted(route, as_token))}",
            f"checks.negative_data_rejection.expected-statuses = {q(rejected(route))}",
        ]
        if "rasa_unavailable" in route.refusals:  # its documented answer while Rasa is down, as here
            lines.append(f"checks.not_a_server_error.expected-statuses = {q(['2xx', '3xx', '4xx', '502'])}")
    return "\n".join(lines) + "\n"


def run_schemathesis(hd: Helpdesk, folder: Path, spec: dict, config: str, *extra: str) -> None:
    folder = folder / "schemathesis"
    folder.mkdir()
    (folder / "openapi.json").write_text(json.dumps(spec))
    (folder / "schemathesis.toml").write_text(config)
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(folder / "schemathesis.toml"), "run",
            str(folder / "openapi.json"), "--url", hd.url, "--checks", ",".join(CHECKS),
            "--phases", "examples,coverage,fuzzing", "--workers", "2", "--no-color", *extra]  # fmt: skip
    done = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=600)
    print(done.stdout[-6000:])
    assert done.returncode == 0, done.stdout + done.stderr


def seed_state(hd: Helpdesk) -> None:
    """Something for the requests to find (schemathesis reuses the ids it reads in answers): amy online with three
    chats, her capacity, and a fourth waiting; their buyer is known by the order number, for the customer panel."""
    assert hd.post("/agents/amy/status", {"status": "online"}).status_code == 200
    for cid in ("web-1042", "web-1043", "web-1044", "web-1045"):
        assert hd.post("/handoffs", {"conversation_id": cid, "order_number": "A10002"}).status_code == 201


def test_the_service_token_pass(hd, tmp_path):
    """With the service token a body (or, for a photo, the query) must name the acting agent. The served spec cannot
    make `agent` required for the token only (one spec serves both callers; its description says so), so this pass
    fuzzes a copy in which it is required and not null: what the handlers take from the token."""
    seed_state(hd)
    spec = requests.get(hd.url + "/openapi.json", timeout=5).json()
    schemas = spec["components"]["schemas"]
    for model in _acting_models():
        acting = schemas[model.__name__]
        acting["required"] = sorted({*acting.get("required", []), "agent"})
        del acting["properties"]["agent"]["nullable"]
    for operation in (op for path in spec["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] == "agent":  # a photo's route: agent in the query
                parameter["required"] = True
    config = toml_config({"bearer": {"bearer": hd.token}}, as_token=True)
    run_schemathesis(hd, tmp_path, spec, config)


def test_the_console_login_pass(hd, tmp_path):
    """One login (the login route allows 10 tries a minute per address, and the fuzz spends them); the logout
    route is left out of this pass only: it would end the session halfway."""
    seed_state(hd)
    r = requests.post(hd.url + "/auth/login", json={"agent": "amy", "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    session = {"session": {"api_key": SimpleCookie(r.headers["set-cookie"])["kefu_session"].value},
               "csrf": {"api_key": r.json()["csrf"]}}  # fmt: skip
    spec = requests.get(hd.url + "/openapi.json", timeout=5).json()
    config = toml_config(session, as_token=False)
    run_schemathesis(hd, tmp_path, spec, config, "--exclude-path", "/auth/logout")


def _acting_models() -> List[type]:
    found, todo = [], [ask.Acting]
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return found
