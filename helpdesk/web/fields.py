"""What the helpdesk's request and response models are built from: a base whose JSON Schema is OpenAPI 3.0,
and the shapes of shop/formats.py as strict field types.

Strict: pydantic would otherwise turn 7 into "7" and "5" into 5, and the spec says a string is a string.
Each type's JSON Schema (pattern, lengths) comes from the same class that checks the value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Dict, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConstrainedStr, errors

from shop import formats
from shop.attachments import FILE_NAME


class Model(BaseModel):
    """Pydantic 1 writes JSON Schema; OpenAPI 3.0 differs: it has no null type, so a field annotated Optional
    says nullable (in an answer, a key that may be absent but is never null is `x: T = None`). `rules` adds
    constraints across fields, which pydantic cannot write."""

    rules: ClassVar[Dict[str, Any]] = {}

    class Config:
        @staticmethod
        def schema_extra(schema: Dict[str, Any], model: type) -> None:
            properties = schema.get("properties", {})
            for name, field in model.__fields__.items():
                annotation = field.annotation
                if name in properties and get_origin(annotation) is Union and type(None) in get_args(annotation):
                    prop = properties[name]
                    if "$ref" in prop:  # the siblings of a $ref are ignored
                        properties[name] = prop = {"allOf": [prop]}
                    prop["nullable"] = True
                    if "enum" in prop:  # OpenAPI 3.0.3: a nullable enum lists null among its values
                        prop["enum"] = [*prop["enum"], None]
            if not vars(model).get("__doc__"):  # pydantic would describe it with a base class's docstring
                schema.pop("description", None)
            schema.update(model.rules)


class Matching(ConstrainedStr):
    """A JSON string its pattern matches as a whole. (Python's "$" would also let a final newline through,
    JSON Schema's does not: hence fullmatch.)"""

    strict = True
    example: ClassVar[str] = ""  # for the spec's readers

    @classmethod
    def __modify_schema__(cls, field_schema: Dict[str, Any]) -> None:
        super().__modify_schema__(field_schema)
        if cls.example:
            field_schema["example"] = cls.example

    @classmethod
    def validate(cls, value: str) -> str:
        if cls.regex.fullmatch(value) is None:
            raise errors.StrRegexError(pattern=cls.regex.pattern)
        return value


class AgentId(Matching):
    regex = re.compile(formats.AGENT_ID)


class ConversationId(Matching):
    regex = re.compile(formats.CONVERSATION_ID)


class Shortcut(Matching):
    regex = re.compile(formats.SHORTCUT)


class KeptFile(Matching):
    """A kept photo's or file's name (shop/attachments.py): random hex and the type's extension."""

    regex = FILE_NAME


class Text(Matching):
    """Free text: anything but NUL, which a PostgreSQL text column cannot hold (the record may be PostgreSQL)."""

    regex = re.compile(r"^[^\x00]*$")


class AgentText(Text):
    """A reply or a note: something besides spaces (after any leading ones), no NUL, at most MAX_AGENT_TEXT
    characters as sent. The leading spaces and the first other character cannot overlap, so the check takes
    linear time; and whatever str.strip() removes is a space here, so the stripped text is never empty."""

    regex = re.compile(f"^[{formats.SPACE}]*[^{formats.SPACE}\\x00][^\\x00]*$")
    max_length = formats.MAX_AGENT_TEXT
    example = "Hello, I am looking into it."


class Label(Text):
    """A channel, category, reason, group or order number in a handoff record."""

    max_length = formats.MAX_LABEL


class GroupName(Label):
    min_length = 1


class PersonName(Text):
    """A buyer's name, as the shop's data has it."""

    max_length = formats.MAX_NAME


# the console's page, script and style, and Chart.js (vendored: chart.js-README.md); no subfolders, so that each
# file's name is one path segment
STATIC = Path(__file__).with_name("static")
STATIC_NAMES = tuple(sorted(p.name for p in STATIC.iterdir()))
# /console/static serves these and nothing else: a name that is not one of them is a 404 before sanic's file
# handler sees it (it fails with a 500 on a NUL byte or a name too long for the file system)
StaticFile = Literal[STATIC_NAMES]
