from actions.dialogue import ActionRating
from tests.actions.trackers import ent, responses, run, tracker


async def test_rating_after_the_bot_asked(action_env):
    msgs, events = await run(ActionRating(), tracker("五星", "rate", slots={"awaiting_rating": True, "language": "zh"}))
    assert responses(msgs) == ["utter_rating_thanks"] and msgs[0]["rating"] == 5
    assert {"event": "slot", "name": "rating", "value": 5.0, "timestamp": None} in events


async def test_low_rating_from_a_button(action_env):
    t = tracker("/rate", "rate", [ent("rating", "2")], slots={"awaiting_rating": True})
    msgs, _ = await run(ActionRating(), t)
    assert responses(msgs) == ["utter_rating_sorry"] and msgs[0]["rating"] == 2


async def test_unasked_rating_is_not_taken(action_env):
    msgs, events = await run(ActionRating(), tracker("' OR 1=1; --", "rate"))
    assert responses(msgs) == ["utter_default"] and events == []


async def test_rating_without_a_number_asks_again(action_env):
    msgs, _ = await run(ActionRating(), tracker("meh", "rate", slots={"awaiting_rating": True}))
    assert responses(msgs) == ["utter_ask_rating_number"]
