"""A faster check of the action server's answers, installed when the NLU pipeline loads.

Rasa 3.6 validates every custom action's response with ``jsonschema.validate``, which
re-checks the whole events schema against the JSON-Schema metaschema on each call: py-spy
put 55% of the Rasa server's CPU there under load (README "Benchmarks"). Here the validator
is built (and the schema checked) once; the schema, the checks and the error are Rasa's own.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction


@functools.lru_cache(maxsize=None)
def _validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid."
        )
        raise


def install() -> None:
    """Idempotent: replace RemoteAction's per-call schema check with the cached validator."""
    RemoteAction._validate_action_result = _validate_action_result
