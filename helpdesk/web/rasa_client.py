"""The helpdesk's calls to Rasa's HTTP API (token-protected): resume the bot, post an agent's message."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence
from urllib.parse import quote

import requests

from helpdesk.payloads import agent_message_metadata
from shop.attachments import ATTACHMENTS_KEY


class RasaUnavailable(Exception):
    """Rasa did not answer, or refused; the caller retries later."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def _post(self, path: str, body: Any) -> Dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            r = self.http.post(url, params={"token": self.token}, json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RasaUnavailable(f"{path}: {exc.__class__.__name__}") from exc
        if r.status_code != 200:
            raise RasaUnavailable(f"{path}: HTTP {r.status_code} {r.text[:200]}")
        return r.json()

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        url = f"{self.base_url}{self._conversation(conversation_id)}/tracker"
        try:
            r = self.http.get(url, params={"token": self.token}, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise RasaUnavailable(f"tracker: {exc.__class__.__name__}") from exc
        if r.status_code != 200:
            raise RasaUnavailable(f"tracker: HTTP {r.status_code}")
        return r.json()

    def _conversation(self, conversation_id: str) -> str:
        # Rasa's sanic does not decode path parameters, so ":" and "@" (legal in a path) must stay as they are
        return f"/conversations/{quote(conversation_id, safe=':@')}"

    def resume(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Run action_handoff_resolved: the bot resumes, says it is back and asks for a rating."""
        body = {"name": "action_handoff_resolved"}
        path = f"{self._conversation(conversation_id)}/execute?output_channel=latest"  # to the buyer's widget
        return self._post(path, body).get("messages", [])

    def typing(self, conversation_id: str, agent_name: str) -> None:
        """Show the web-chat buyer that this agent is typing (connectors/webchat.py, /webhooks/webchat/typing)."""
        self._post("/webhooks/webchat/typing", {"session_id": conversation_id, "agent_name": agent_name})

    def post_agent_message(
        self, conversation_id: str, agent_id: str, agent_name: str, text: str, files: Sequence[Dict[str, Any]] = ()
    ) -> None:
        """Put the agent's message in the transcript, as a bot turn with metadata.kefu_agent (and the photos it
        carries, metadata.attachments), and send it through the conversation's own output channel (the widget's
        socket, a marketplace's API)."""
        metadata: Dict[str, Any] = dict(agent_message_metadata(agent_id, agent_name))
        if files:
            metadata[ATTACHMENTS_KEY] = list(files)
        event = {"event": "bot", "text": text, "metadata": metadata}
        query = "include_events=NONE&output_channel=latest&execute_side_effects=true"
        path = f"{self._conversation(conversation_id)}/tracker/events?{query}"
        self._post(path, event)
