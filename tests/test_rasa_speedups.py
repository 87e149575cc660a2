import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from components import rasa_speedups


def test_cached_validator_keeps_rasas_checks():
    rasa_speedups.install()
    action = RemoteAction("action_x", None)
    ok = {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "pause"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(ok) is True
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})
