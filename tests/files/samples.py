"""Files for the photo tests, made here: real images drawn by Pillow, and the lies a bad file tells."""

from __future__ import annotations

import io

from PIL import Image


def image(kind: str = "PNG", size: tuple = (64, 48), color: str = "#c33") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


def png() -> bytes:
    return image("PNG")


def jpeg() -> bytes:
    return image("JPEG")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SCRIPT = b"<script>fetch('/steal?c=' + document.cookie)</script>"  # what an attacker names photo.png
POLYGLOT = b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>"  # a PNG's first bytes, then a page
