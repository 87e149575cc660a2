"""A photo from the buyer (actions/photos.py): asked about, or put before a person when the chat was already
about a problem; words about a photo without one get told how to send it."""

from __future__ import annotations

from actions import services
from actions.photos import ActionPhoto
from tests.actions.trackers import responses, run, tracker, user_event

PHOTO = {"attachments": [{"file": "0" * 32 + ".jpg", "type": "image/jpeg", "size": 2048, "name": "box.jpg"}]}


async def test_a_photo_out_of_the_blue_is_asked_about(action_env):
    msgs, events = await run(ActionPhoto(), tracker("/send_photo", "send_photo", metadata=PHOTO, sender_id="p-1"))
    assert responses(msgs) == ["utter_photo_ask"] and events == []
    assert not services.services().desk.queue.get("p-1")


async def test_a_photo_after_an_after_sales_question_goes_to_a_person(action_env):
    history = [user_event("i want to swap it for a medium", "exchange_request"), user_event("ok", "affirm")]
    t = tracker("/send_photo", "send_photo", history=history, metadata=PHOTO, sender_id="p-2",
                slots={"language": "en"})  # fmt: skip
    msgs, events = await run(ActionPhoto(), t)
    assert responses(msgs)[:2] == ["utter_photo_to_agent", "utter_handoff"]
    assert {"event": "pause", "timestamp": None} in events
    queued = services.services().desk.queue.get("p-2")
    assert queued["reason"] == "photo" and queued["category"] == "returns"


async def test_a_new_session_forgets_the_earlier_topic(action_env):
    history = [user_event("refund?", "refund_status"), {"event": "session_started"}, user_event("hi", "greet")]
    msgs, _ = await run(ActionPhoto(), tracker("/send_photo", "send_photo", history=history, metadata=PHOTO))
    assert responses(msgs) == ["utter_photo_ask"]


async def test_words_about_a_photo_without_one_say_how(action_env):
    msgs, _ = await run(ActionPhoto(), tracker("how do i send a picture", "send_photo"))
    assert responses(msgs) == ["utter_photo_how"] and msgs[0]["max_mb"] == "5"
