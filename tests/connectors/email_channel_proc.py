"""The email channel in a sanic server of its own, with a tiny stand-in for Rasa's bot: it answers every message
with two messages (the second with buttons when asked "rate"), so a test can see one mail per turn.

python -m tests.connectors.email_channel_proc PORT      (settings from the environment, as Rasa's would be)
POST /agent {"conversation_id", "text"} sends an agent's message the way Rasa's output_channel=latest does.
"""

from __future__ import annotations

import sys
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response

from connectors.email import EmailInput
from helpdesk.payloads import agent_message_metadata

turns: dict = {}


async def bot(message: UserMessage) -> None:
    turns[message.sender_id] = turns.get(message.sender_id, 0) + 1
    out = message.output_channel
    await out.send_response(message.sender_id, {"text": f"turn {turns[message.sender_id]} of {message.sender_id}"})
    answer: dict[str, Any] = {"text": f"you said: {message.text}"}
    if message.text == "rate":
        answer["buttons"] = [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in (1, 5)]
    await out.send_response(message.sender_id, answer)


if __name__ == "__main__":
    channel = EmailInput.from_credentials({"from": "Test Shop <help@shop.example>"})
    app = Sanic("email_channel_test")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/email")

    @app.post("/agent")
    async def agent(request: Any) -> Any:
        metadata = agent_message_metadata("amy", "Amy Zhou")
        await channel.get_output_channel().send_response(request.json["conversation_id"],
                                                         {"text": request.json["text"], **metadata})  # fmt: skip
        return response.json({"ok": True})

    @app.get("/health")
    async def health(_: Any) -> Any:
        return response.json({"turns": turns})

    app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False)
