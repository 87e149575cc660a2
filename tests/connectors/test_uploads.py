"""Buyers' uploads as the channels take them (connectors/files.py): checked, counted per chat and hour, kept,
and named only by the chat that made them, on a real redis-server and the local file store."""

from __future__ import annotations

import json

import pytest
import redis

from connectors.files import Uploads, photo_words, public_file_url
from helpdesk import keys
from shop.attachments import LocalFiles, Refused
from shop.config import Attachments
from tests.files.samples import SCRIPT, png

A, B = "a" * 32, "b" * 32


@pytest.fixture
def uploads(redis_url, tmp_path) -> Uploads:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    return Uploads(client, LocalFiles(tmp_path / "files"), Attachments(per_hour=3))


def reason(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value.reason


def test_an_upload_is_named_only_by_its_own_chat(uploads):
    kept = uploads.upload(A, png(), "image/png", "C:\\fotos\\broken box.png")
    assert kept["type"] == "image/png" and kept["size"] == len(png()) and kept["name"] == "broken box.png"
    assert uploads.store.get(kept["file"]) == png()
    assert uploads.claim(A, [kept["file"]]) == [kept]
    assert reason(uploads.claim, B, [kept["file"]]) == "unknown_file"  # another chat's photo
    assert reason(uploads.claim, A, ["0" * 32 + ".png"]) == "unknown_file"  # never uploaded
    assert reason(uploads.claim, A, ["../x.png"]) == "unknown_file"
    assert reason(uploads.claim, A, []) == "unknown_file"
    assert reason(uploads.claim, A, [kept["file"]] * 5) == "unknown_file"  # over MAX_FILES_PER_MESSAGE
    assert reason(uploads.claim, A, "x") == "unknown_file"
    ttl = uploads.redis.ttl(keys.upload(kept["file"]))
    assert 0 < ttl <= 86400 and json.loads(uploads.redis.get(keys.upload(kept["file"])))["conversation"] == A


def test_a_chat_may_upload_a_few_an_hour_and_bad_files_are_not_kept(uploads, tmp_path):
    assert reason(uploads.upload, A, SCRIPT, "image/png") == "not_matching"
    assert not (tmp_path / "files").exists()  # refused before it is stored or counted
    assert uploads.redis.get(keys.uploads(A)) is None
    for _ in range(3):
        uploads.upload(A, png())
    assert reason(uploads.upload, A, png()) == "too_many"
    uploads.upload(B, png())  # another chat has its own count
    assert 0 < uploads.redis.ttl(keys.uploads(A)) <= 3600  # the window ends within the hour


def test_what_the_bot_reads_for_a_photo_and_where_it_is_served():
    assert photo_words("zh") == '/send_photo{"language": "zh"}' and photo_words(None) == "/send_photo"
    assert photo_words('"}/greet') == "/send_photo"  # a page's lang is never pasted into the bot's text
    url = public_file_url("https://chat.shop.example/", "x.png")
    assert url == "https://chat.shop.example/webhooks/webchat/files/x.png"
