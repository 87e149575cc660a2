"""Photos and files in a chat: what kefu accepts, and where it keeps them.

A file is what its first bytes say it is, never what its name or the sender's Content-Type claims: a script
named photo.png is refused. An image must also decode (Pillow reads it whole), so a polyglot with a PNG
header and HTML after it is refused too. Accepted files get a random name (32 hex digits and the type's
extension), which is also the only way to read them back: the web chat serves a file to whoever has its
name (the buyer who sent or was sent it), the helpdesk only to a console login.

Where files live (Settings.files_url, KEFU_FILES_URL):
    ""                              the directory var/files (the demo)
    /some/dir or file:///some/dir   a local directory
    s3://bucket/prefix?endpoint=https://…&region=…   S3 or any S3-compatible store (MinIO, Ceph, R2…);
                                    keys from KEFU_FILES_S3_KEY and KEFU_FILES_S3_SECRET, else boto3's own chain
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Tuple
from urllib.parse import parse_qs, urlparse

from shop.config import Attachments
from shop.formats import MAX_FILE_NAME
from shop.settings import Settings

ATTACHMENTS_KEY = "attachments"  # in a message's metadata: [{"file", "type", "size", "name"}], buyer's or agent's
PHOTO_INTENT = "send_photo"  # what a photo without words says to the bot (data/nlu/photos.yml, actions/photos.py)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "application/pdf": "pdf"}  # fmt: skip
FILE_NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|gif|webp|pdf)$")


def sniff(data: bytes) -> Optional[str]:
    """The type the bytes themselves declare, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def decodes(data: bytes) -> bool:
    """Whether an image reads whole (not a header stuck on something else)."""
    from PIL import Image, UnidentifiedImageError  # Pillow comes with Rasa (matplotlib)

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        return True
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


class Refused(ValueError):
    """A file kefu does not take; `reason` is the code, the message says why in both languages."""

    TEXTS = {
        "empty": ("The file is empty.", "文件是空的。"),
        "too_large": ("The file is larger than {max_mb} MB.", "文件超过 {max_mb} MB。"),
        "bad_type": ("Only {types} files can be sent.", "只能发送 {types} 格式的文件。"),
        "not_matching": ("The file is not what its name or type says.", "文件内容与名称或类型不符。"),
        "too_many": ("Too many files in a short time: please wait a while.", "短时间内发送的文件太多,请稍后再试。"),
        "unknown_file": ("That file was not uploaded in this chat.", "该文件不是在本次对话中上传的。"),
    }

    def __init__(self, reason: str, rules: Attachments) -> None:
        self.reason = reason
        types = ", ".join(EXTENSIONS[t].upper() for t in rules.types)
        en, zh = self.TEXTS[reason]
        values = {"max_mb": f"{rules.max_mb:g}", "types": types}
        self.texts = {"en": en.format(**values), "zh": zh.format(**values)}
        super().__init__(self.texts["en"])


def check(data: bytes, rules: Attachments, declared: str = "") -> str:
    """The file's type if kefu takes it, else Refused. `declared`: the sender's Content-Type, if any."""
    if not data:
        raise Refused("empty", rules)
    if len(data) > rules.max_bytes:
        raise Refused("too_large", rules)
    found = sniff(data)
    declared = declared.split(";")[0].strip().lower()
    if found is None:
        # a type we would take, but the bytes are something else: the name lies (a script named .png)
        raise Refused("not_matching" if declared in EXTENSIONS else "bad_type", rules)
    if found not in rules.types:
        raise Refused("bad_type", rules)
    if declared and declared not in ("application/octet-stream", found):
        raise Refused("not_matching", rules)
    if found.startswith("image/") and not decodes(data):
        raise Refused("not_matching", rules)
    return found


def shown_name(name: Any) -> str:
    """The sender's file name as it may be shown: no path, no control characters, not too long."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[\x00-\x1f\x7f<>\"]", "", text).strip()[:MAX_FILE_NAME]


def attachment(name: str, content_type: str, size: int, shown: str = "") -> Dict[str, Any]:
    """One entry of a message's metadata.attachments."""
    return {"file": name, "type": content_type, "size": size, "name": shown_name(shown)}


def attachments_of(metadata: Any) -> List[Dict[str, Any]]:
    """The well-formed attachments in a message's metadata (a tracker event's), [] when none."""
    found = (metadata or {}).get(ATTACHMENTS_KEY) if isinstance(metadata, dict) else None
    if not isinstance(found, list):
        return []
    return [a for a in found if isinstance(a, dict) and isinstance(a.get("file"), str) and FILE_NAME.match(a["file"])]


def words_of(text: str, metadata: Any) -> str:
    """What the buyer wrote, as shown: "" for the /send_photo a channel wrote beside a photo without words."""
    return "" if text.startswith(f"/{PHOTO_INTENT}") and attachments_of(metadata) else text


def content_type_of(name: str) -> str:
    ext = name.rsplit(".", 1)[-1]
    return next(t for t, e in EXTENSIONS.items() if e == ext)


# -- storage -------------------------------------------------------------------------------------
class FileStore(Protocol):
    def put(self, data: bytes, content_type: str) -> str:
        """Keep the file; its new name."""

    def get(self, name: str) -> Optional[bytes]:
        """The file's bytes, None if there is no such file."""


def new_name(content_type: str) -> str:
    return f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}"


@dataclass
class LocalFiles:
    root: Path

    def put(self, data: bytes, content_type: str) -> str:
        name = new_name(content_type)
        folder = self.root / name[:2]  # 256 folders: no directory of a million files
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.partial"
        partial.write_bytes(data)
        partial.rename(folder / name)  # whole or not at all, for a reader in another process
        return name

    def get(self, name: str) -> Optional[bytes]:
        if not FILE_NAME.match(name):
            return None
        path = self.root / name[:2] / name
        return path.read_bytes() if path.is_file() else None


class S3Files:
    """An S3 bucket (or any S3-compatible store), under a key prefix."""

    def __init__(self, url: str, key: str = "", secret: str = "") -> None:
        import boto3  # with Rasa (its S3 model storage)
        from botocore.config import Config

        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        credentials = {"aws_access_key_id": key, "aws_secret_access_key": secret} if key and secret else {}
        self.client = boto3.client("s3", endpoint_url=query.get("endpoint") or None,
                                   region_name=query.get("region") or "us-east-1",
                                   config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}),
                                   **credentials)  # fmt: skip

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, data: bytes, content_type: str) -> str:
        name = new_name(content_type)
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data, ContentType=content_type)
        return name

    def get(self, name: str) -> Optional[bytes]:
        if not FILE_NAME.match(name):
            return None
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except self.client.exceptions.NoSuchKey:
            return None
        return found["Body"].read()


def file_store(settings: Settings) -> FileStore:
    url = settings.files_url
    if url.startswith("s3://"):
        return S3Files(url, settings.files_s3_key, settings.files_s3_secret)
    if url.startswith("file://"):
        return LocalFiles(Path(urlparse(url).path))
    return LocalFiles(Path(url) if url else settings.var_dir / "files")


def served(data: bytes, name: str) -> Tuple[Dict[str, str], str]:
    """Headers for serving a kept file, and its type: never sniffed by the browser, never run as a page."""
    content_type = content_type_of(name)
    inline = content_type.startswith("image/")
    return {
        "Content-Type": content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": "inline" if inline else f'attachment; filename="{name}"',
        "Cache-Control": "private, max-age=86400, immutable",
        "Cross-Origin-Resource-Policy": "cross-origin",  # the widget shows it on the shop's own site
    }, content_type
