"""Certificate codes: 128 random bits written as 26 characters of Crockford base32.

Crockford's alphabet leaves out I, L, O and U so that a code read off paper
or over the phone cannot be mistyped into another valid code; `normalise`
maps the look-alikes back. The code is the whole secret behind the public
verification page, so it is never shortened anywhere, including for display.
"""
from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 26  # ceil(128 / 5)
_BITS = 128
_GROUPS = (4, 4, 4, 4, 4, 4, 2)
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """Return a fresh code: 16 bytes from `secrets`, as a big-endian number in base32."""
    number = int.from_bytes(secrets.token_bytes(_BITS // 8), "big")
    return _encode(number)


def display(code: str) -> str:
    """Group a canonical code 4-4-4-4-4-4-2 with hyphens so people can read it back."""
    groups, start = [], 0
    for size in _GROUPS:
        groups.append(code[start:start + size])
        start += size
    return "-".join(groups)


def normalise(text: str) -> str | None:
    """Return the canonical code typed as `text`, or None when it cannot be one.

    Case, spaces and hyphens (any Unicode dash, as word processors substitute
    them) are ignored and O, I and L read as 0, 1 and 1. Anything else outside
    the alphabet, a length other than 26, or a value above 128 bits (a first
    character past 7, which `new_code` never produces) gives None.
    """
    kept = "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch) == "Pd"))
    candidate = kept.upper().translate(_CONFUSABLES)
    if len(candidate) != LENGTH or any(ch not in ALPHABET for ch in candidate):
        return None
    if _decode(candidate) >> _BITS:
        return None
    return candidate


def _encode(number: int) -> str:
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _decode(code: str) -> int:
    number = 0
    for ch in code:
        number = number * 32 + ALPHABET.index(ch)
    return number
