"""One cleaning of people's text, applied at the door (pydantic types) and again when a file is written.

A name or free text is stored NFC-normalised and without the characters that only serve to deceive or
to break other programs: control characters (C0/C1; a multi-line text keeps newline and tab), bidi
embeddings/overrides/isolates and marks (a name that reads differently than it sorts), zero-width
characters (two names that look the same), lone surrogates (which PostgreSQL cannot store). A name that
is empty once cleaned is refused with a 422 rather than stored as an invisible name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

# Bidi embeddings/overrides (U+202A–202E), isolates (U+2066–2069), marks (LRM, RLM, ALM);
# zero-width space/non-joiner/joiner, word joiner and invisible operators, BOM; lone surrogates.
_INVISIBLE = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060-\u2064\ufeff\ud800-\udfff"
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 and C1 except tab (\x09) and newline (\x0a)
_STRIP_LINE = re.compile(f"[{_INVISIBLE}{_CONTROL}\t\n]")
_STRIP_MULTI = re.compile(f"[{_INVISIBLE}{_CONTROL}]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def clean_line(value: str) -> str:
    """One line (a name, a title): cleaned, whitespace runs collapsed to one space, trimmed."""
    text = unicodedata.normalize("NFC", _LINE_BREAKS.sub(" ", value))
    return " ".join(_STRIP_LINE.sub("", text.replace("\t", " ").replace("\n", " ")).split())


def clean_multiline(value: str) -> str:
    """A free text (a description, an essay): cleaned, line breaks kept as \\n, trimmed."""
    text = unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", value))
    return _STRIP_MULTI.sub("", text).strip()


def clean_cell(value: Any) -> Any:
    """A value on its way into a CSV/XLSX file: text cleaned (multi-line kept), anything else as is."""
    return clean_multiline(value) if isinstance(value, str) else value


def _line(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def _multi(value: Any) -> Any:
    return clean_multiline(value) if isinstance(value, str) else value


def _name(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cleaned = clean_line(value)
    if not cleaned:
        raise PydanticCustomError(
            "empty_name", "Tên không được để trống hoặc chỉ gồm ký tự vô hình / ký tự điều khiển.")
    return cleaned


# Use as the type of a field; length limits (Field) then apply to the cleaned text.
OneLine = Annotated[str, BeforeValidator(_line)]
MultiLine = Annotated[str, BeforeValidator(_multi)]
PersonName = Annotated[str, BeforeValidator(_name)]
