"""What kefu takes as a photo or file (shop/attachments.py), and the two stores it keeps them in: a local
directory and S3-compatible storage (s3rver from npm, a real S3 API on a local port)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from fake_platforms import s3
from scripts.stack import free_port
from shop.attachments import (
    LocalFiles,
    Refused,
    S3Files,
    attachments_of,
    check,
    file_store,
    served,
    shown_name,
    words_of,
)
from shop.config import Attachments
from shop.settings import Settings
from tests.files.samples import PDF, POLYGLOT, SCRIPT, image, jpeg, png

RULES = Attachments(max_mb=1, types=["image/jpeg", "image/png"], per_hour=5)


def refusal(data: bytes, declared: str = "", rules: Attachments = RULES) -> str:
    with pytest.raises(Refused) as caught:
        check(data, rules, declared)
    return caught.value.reason


def test_a_file_is_what_its_bytes_say_whatever_its_name():
    assert check(png(), RULES) == "image/png"
    assert check(jpeg(), RULES, "image/jpeg") == "image/jpeg"
    assert check(png(), RULES, "application/octet-stream") == "image/png"  # a browser that does not know
    assert refusal(SCRIPT, "image/png") == "not_matching"  # a script named .png
    assert refusal(POLYGLOT, "image/png") == "not_matching"  # a PNG header stuck on a page: does not decode
    assert refusal(jpeg(), "image/png") == "not_matching"  # the sender says one type, the bytes another
    assert refusal(SCRIPT, "text/html") == "bad_type"
    assert refusal(PDF, "application/pdf") == "bad_type"  # a real PDF, but this shop takes photos only
    assert check(PDF, Attachments(), "application/pdf") == "application/pdf"
    assert refusal(b"") == "empty"


def test_oversize_is_refused_with_the_limit_named_in_both_languages():
    big = image("PNG", (1200, 1200), "#123")
    noisy = big + b"\0" * (RULES.max_bytes + 1 - len(big))  # a PNG padded past the limit
    with pytest.raises(Refused) as caught:
        check(noisy, RULES)
    assert caught.value.reason == "too_large"
    assert caught.value.texts == {"en": "The file is larger than 1 MB.", "zh": "文件超过 1 MB。"}
    types = Refused("bad_type", RULES).texts
    assert types["en"] == "Only JPG, PNG files can be sent." and "JPG, PNG" in types["zh"]


def test_names_and_metadata_from_outside_are_cleaned():
    assert shown_name("C:\\Users\\x\\..\\damage<1>.jpg") == "damage1.jpg"
    assert shown_name("../../etc/passwd\x00.png") == "passwd.png"
    assert len(shown_name("a" * 500)) == 80
    good = {"file": "0" * 32 + ".png", "type": "image/png", "size": 3, "name": ""}
    forged = [good, {"file": "../../secret.png"}, {"file": 7}, "x"]
    assert attachments_of({"attachments": forged}) == [good]
    assert attachments_of({"attachments": "nope"}) == [] and attachments_of(None) == []
    assert words_of('/send_photo{"language": "zh"}', {"attachments": [good]}) == ""
    assert words_of("/send_photo", {}) == "/send_photo"  # typed, no photo: shown as typed


def test_served_files_are_never_run_as_a_page():
    headers, content_type = served(png(), "0" * 32 + ".png")
    assert content_type == "image/png" and headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"] and headers["Content-Disposition"] == "inline"
    headers, content_type = served(PDF, "1" * 32 + ".pdf")
    assert content_type == "application/pdf" and headers["Content-Disposition"].startswith("attachment")


def test_the_local_store_keeps_files_under_random_names(tmp_path):
    store = LocalFiles(tmp_path)
    first, second = store.put(png(), "image/png"), store.put(png(), "image/png")
    assert first != second and first.endswith(".png") and store.get(first) == png()
    assert (tmp_path / first[:2] / first).is_file()
    assert not list(tmp_path.rglob(".*.partial"))
    assert store.get("0" * 32 + ".png") is None  # no such file
    assert store.get("../../../etc/passwd") is None and store.get(first[:-4] + ".pdf") is None


def test_the_store_is_chosen_by_url(tmp_path):
    env = {"KEFU_VAR_DIR": str(tmp_path)}
    assert file_store(Settings.from_env(env)).root == tmp_path / "files"
    assert file_store(Settings.from_env({**env, "KEFU_FILES_URL": f"file://{tmp_path}/x"})).root == tmp_path / "x"
    assert file_store(Settings.from_env({**env, "KEFU_FILES_URL": str(tmp_path / "y")})).root == tmp_path / "y"


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    proc = s3.start(port, tmp_path_factory.mktemp("s3"), "kefu-files")
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=s3.KEY, aws_secret_access_key=s3.SECRET,
                          region_name="us-east-1")  # fmt: skip
    deadline = time.time() + 30
    while True:
        try:
            client.head_bucket(Bucket="kefu-files")
            break
        except Exception:  # noqa: BLE001 - not listening yet
            assert time.time() < deadline and proc.poll() is None, "s3rver did not start"
            time.sleep(0.2)
    yield f"s3://kefu-files/shop-1/photos?endpoint={endpoint}&region=us-east-1"
    proc.terminate()
    proc.wait(10)


def test_an_s3_store_by_url(s3_url, tmp_path):
    settings = Settings.from_env({"KEFU_VAR_DIR": str(tmp_path), "KEFU_FILES_URL": s3_url,
                                  "KEFU_FILES_S3_KEY": s3.KEY, "KEFU_FILES_S3_SECRET": s3.SECRET})  # fmt: skip
    store = file_store(settings)
    assert isinstance(store, S3Files)
    name = store.put(jpeg(), "image/jpeg")
    assert store.get(name) == jpeg() and store.get("0" * 32 + ".jpg") is None
    listed = store.client.list_objects_v2(Bucket="kefu-files")["Contents"]
    assert [o["Key"] for o in listed] == [f"shop-1/photos/{name}"]  # under the URL's prefix
    assert not list(Path(tmp_path).rglob("*.jpg"))  # nothing on the local disk
