"""What identifies a buyer's order and the buyer: order numbers, emails, phones, in the shop's own shapes.

An order number's shape is a mask in shop.yml ``formats.order_numbers``, so a seller whose numbers look
like "#1042", "5812-3344-09" or "240531ABC123" writes it down instead of changing code:

    9  a digit        X  a letter (a buyer may type it in lower case)       *  a letter or a digit
    {m,n} or {n}      repeats the one before: "#9{4,6}" is "#" and 4 to 6 digits
    \\c               the character c itself ("\\9", "\\X")
    anything else     itself; punctuation ("#", "-") may be left out or typed as a space by the buyer

The canonical number (the one the shop's platform knows) is the mask filled with what the buyer typed,
letters upper-cased, punctuation as in the mask. The NLU components, the actions, the training-data
generator and the evaluation all use one ``Identifiers`` made from the shop's file.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from shop.formats import CALLING_CODES, EMAIL, PHONES

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# a token mixing letters and digits: a coupon (WELCOME10), a tracking number (SF1234567890), a code
_CODE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z0-9-]{3,}(?![A-Za-z0-9])")
_CLASSES = {"9": r"\d", "X": "[A-Za-z]", "*": "[A-Za-z0-9]"}
_MASK_TOKEN = re.compile(r"\\(.)|([9X*])(?:\{(\d+)(?:,(\d+))?\})?|(.)", re.DOTALL)


class MaskError(ValueError):
    """An order-number mask that can't be read (shop.yml names it)."""


@dataclass(frozen=True)
class _Part:
    kind: str  # "9", "X", "*" or "lit"
    text: str  # the literal, for "lit"
    low: int = 1
    high: int = 1


def _parts(mask: str) -> List[_Part]:
    parts: List[_Part] = []
    for escaped, cls, low, high, other in _MASK_TOKEN.findall(mask):
        if cls:
            lo = int(low) if low else 1
            hi = int(high) if high else lo
            if not 1 <= lo <= hi <= 40 or (parts and parts[-1].kind == cls and parts[-1].high + hi > 40):
                raise MaskError(f"{mask!r}: a repeat must be between 1 and 40")
            if parts and parts[-1].kind == cls:  # "99999" is one part of five digits
                prev = parts.pop()
                lo, hi = prev.low + lo, prev.high + hi
            parts.append(_Part(cls, "", lo, hi))
        else:
            parts.append(_Part("lit", escaped or other))
    if not any(p.kind != "lit" for p in parts):
        raise MaskError(f"{mask!r}: a mask needs at least one 9, X or *")
    return parts


class OrderNumberFormat:
    """One mask: a regular expression that finds it in a message, and the canonical form of a match."""

    def __init__(self, mask: str) -> None:
        self.mask = mask
        self._parts = _parts(mask)
        pattern, groups = [], 0
        for part in self._parts:
            if part.kind == "lit":
                ch = re.escape(part.text)
                if part.text.isalnum():  # a letter prefix such as "A": required, any case, a space may follow
                    pattern.append(f"(?i:{ch})\\s?")
                elif part.text == "#" and not pattern:
                    pattern.append("(?:#\\s*)?")
                else:  # a separator: typed, left out, or typed as a space
                    pattern.append(f"(?:{ch}|\\s)?")
            else:
                rep = f"{{{part.low}}}" if part.low == part.high else f"{{{part.low},{part.high}}}"
                pattern.append(f"({_CLASSES[part.kind]}{rep})")
                groups += 1
        # a buyer may put "#" before any order number ("#a10293"); none may hide inside a longer token, and a
        # number without letters is not a group of a longer number either ("+86 138 0123 4567" holds no "#0123")
        digits_only = not any(p.kind == "lit" and p.text.isalnum() for p in self._parts)
        before = r"(?<![A-Za-z0-9#])" + (r"(?<!\d[\s.\-])" if digits_only else "")
        after = r"(?![A-Za-z0-9])" + (r"(?![\s.\-]\d)" if digits_only else "")
        self.pattern = before + r"(?:#\s*)?" + "".join(pattern).removeprefix("(?:#\\s*)?") + after
        self._regex = re.compile(self.pattern)
        self._groups = groups

    def search(self, text: str) -> Optional[Tuple[str, int, int]]:
        """(canonical number, start, end) of the first match in text, or None."""
        m = self._regex.search(text or "")
        return (self._canonical(m), m.start(), m.end()) if m else None

    def sub(self, repl: str, text: str) -> str:
        return self._regex.sub(repl, text)

    def _canonical(self, m: re.Match) -> str:
        values = iter(m.groups())
        return "".join(p.text if p.kind == "lit" else next(values).upper() for p in self._parts)

    def sample(self, rng: random.Random) -> str:
        """A made-up number of this shape (training examples)."""
        out = []
        for p in self._parts:
            if p.kind == "lit":
                out.append(p.text)
                continue
            alphabet = {"9": "0123456789", "X": "ABCDEFGHJKLMNPQRSTUVWXYZ", "*": "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"}
            n = rng.randint(p.low, p.high)
            chars = [rng.choice(alphabet[p.kind]) for _ in range(n)]
            if p.kind == "9" and n > 1 and chars[0] == "0":
                chars[0] = rng.choice("123456789")  # numbers rarely start with 0
            out.append("".join(chars))
        return "".join(out)


class Identifiers:
    """The shop's order-number masks and phone countries, compiled once."""

    def __init__(self, order_masks: Sequence[str], phone_countries: Sequence[str]) -> None:
        if not order_masks:
            raise MaskError("formats.order_numbers needs at least one mask")
        self.orders = [OrderNumberFormat(m) for m in order_masks]
        unknown = [c for c in phone_countries if c not in PHONES]
        if unknown:
            raise ValueError(f"no phone format for {', '.join(unknown)} (known: {', '.join(PHONES)})")
        self.phone_patterns = [PHONES[c] for c in phone_countries]
        self.email = re.compile(EMAIL)
        self.phone = re.compile("|".join(self.phone_patterns)) if self.phone_patterns else re.compile(r"(?!x)x")

    @classmethod
    def of(cls, cfg) -> "Identifiers":  # a shop.config.ShopConfig (shop/config.py imports this module)
        return cls(cfg.formats.order_numbers, cfg.formats.phones)

    def order_number(self, text: str) -> Optional[str]:
        """'#a10293' -> 'A10293' under "A99999": the first order number in text, canonical; else None."""
        found = [hit for f in self.orders if (hit := f.search(text or ""))]
        return min(found, key=lambda h: (h[1], h[1] - h[2]))[0] if found else None  # first, then longest

    def is_order_number(self, token: str) -> bool:
        """True if the whole token is an order number (and so not, say, a coupon code)."""
        return any((hit := f.search(token or "")) and (hit[1], hit[2]) == (0, len(token)) for f in self.orders)

    def without_order_numbers(self, text: str) -> str:
        for f in self.orders:
            text = f.sub(" ", text or "")
        return text

    def without_identifiers(self, text: str) -> str:
        """The text without links, emails, phones, order numbers and codes: what is left is words."""
        for pattern in (_URL, self.email, self.phone):
            text = pattern.sub(" ", text)
        return _CODE.sub(" ", self.without_order_numbers(text))


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _national_forms(digits: str) -> set[str]:
    """The number as written, without a calling code, and without a trunk 0: "+44 7700 900123" and
    "07700 900123" share "7700900123"; "+852 5123 4567" and "5123 4567" share "51234567"."""
    forms = {digits, digits.removeprefix("0")}
    forms |= {digits[len(cc) :] for cc in CALLING_CODES.values() if digits.startswith(cc)}
    return {f for f in forms if len(f) >= 8}


def phone_matches(given: str, on_file: str) -> bool:
    return bool(_national_forms(_digits(given)) & _national_forms(_digits(on_file)))


def email_matches(given: str, on_file: str) -> bool:
    return bool(given) and given.strip().lower() == on_file.strip().lower()
