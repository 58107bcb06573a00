"""
Text people type that other people read: names, titles, tags and descriptions.

Invisible and direction-changing characters make a name look like another one, hide text, or
(bidi overrides) reverse the text after them on the page. They are removed in one place, the
model fields below, so pages, the API, the admin and every domain function get the same text:

- ``clean_single_line`` (names, titles, tags): drops format characters (Unicode category Cf:
  zero-width spaces, bidi embeddings/overrides/isolates and marks, the byte-order mark, word
  joiners, the soft hyphen, …), control characters and the invisible fillers Unicode lists as
  default-ignorable; turns every run of whitespace (tabs, line breaks, no-break spaces) into one
  space; strips the ends; composes to NFC.
- ``clean_multiline`` (descriptions, comments): the same, but line breaks and tabs stay and
  spaces are not collapsed (Markdown cares about them).

Kept where a script or an emoji needs them: the zero-width joiner and non-joiner between two
letters of the scripts that use them (Arabic and Persian, the Indic scripts, Mongolian), the
zero-width joiner inside an emoji sequence (👩‍💻), variation selectors after an emoji or a
CJK ideograph (❤️), and tag characters in a flag sequence (🏴󠁧󠁢󠁳󠁣󠁴󠁿).

A value that is only invisible characters becomes empty, so a required field refuses it with its
usual "cannot be blank" error (a 400 naming the field in the API, an error next to the field on
the page).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import models

ZWNJ = "\u200c"
ZWJ = "\u200d"
BLACK_FLAG = "\U0001f3f4"
CANCEL_TAG = "\U000e007f"

#: Invisible characters that are not in category Cf (Unicode's Default_Ignorable_Code_Point).
INVISIBLE_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")

#: Scripts whose spelling uses ZWJ/ZWNJ between letters (Arabic, Syriac, Thaana, N'Ko; the
#: Indic scripts from Devanagari to Sinhala; Mongolian; Arabic presentation forms).
_JOINING_SCRIPT_RANGES = (
    (0x0600, 0x08FF),
    (0x0900, 0x0DFF),
    (0x1800, 0x18AF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFC),
)

_WHITESPACE_RUN = re.compile(r"\s+")


def _category(char: str) -> str:
    return unicodedata.category(char) if char else ""


def _in_joining_script(char: str) -> bool:
    if not char or _category(char)[0] not in "LM":
        return False
    code = ord(char)
    return any(low <= code <= high for low, high in _JOINING_SCRIPT_RANGES)


def _is_emoji_part(char: str) -> bool:
    # Emoji are "Symbol, other"; skin-tone modifiers are "Symbol, modifier"; U+FE0F asks for
    # the emoji presentation of the character before it.
    return _category(char) in ("So", "Sk") or char == "\ufe0f"


def _takes_variation(before: str, after: str) -> bool:
    """An emoji (or a keycap: 1️⃣) or a CJK ideograph may carry a variation selector."""
    if _is_emoji_part(before) or after == "\u20e3":
        return True
    return bool(before) and _category(before) == "Lo" and ord(before) >= 0x2E80


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _is_tag_character(char: str) -> bool:
    return 0xE0020 <= ord(char) <= 0xE007F


def is_hidden(char: str) -> bool:
    """True for a character that shows nothing by itself (or moves the text around it)."""
    return (
        _category(char) in ("Cf", "Cc", "Zl", "Zp")
        or char in INVISIBLE_FILLERS
        or _is_variation_selector(char)
    )


def _needed(char: str, before: str, after: str) -> bool:
    """Whether a hidden ``char`` between ``before`` (kept) and ``after`` is part of the text."""
    if char in (ZWJ, ZWNJ) and _in_joining_script(before) and _in_joining_script(after):
        return True
    if char == ZWJ:
        return _is_emoji_part(before) and _is_emoji_part(after)
    if _is_variation_selector(char):
        return _takes_variation(before, after)
    if _is_tag_character(char):
        return before == BLACK_FLAG or (_is_tag_character(before) and before != CANCEL_TAG)
    return False


def _without_hidden(value: str, *, keep: str) -> str:
    """``value`` without hidden characters, except those in ``keep`` and the ones a script
    or an emoji needs (see the module docstring)."""
    out: list[str] = []
    for index, char in enumerate(value):
        before = out[-1] if out else ""
        after = value[index + 1] if index + 1 < len(value) else ""
        if char in keep or not is_hidden(char) or _needed(char, before, after):
            out.append(char)
        elif char.isspace():
            # Line and paragraph separators, and control whitespace the caller did not keep.
            line_break = _category(char) in ("Zl", "Zp") and "\n" in keep
            out.append("\n" if line_break else " ")
    return "".join(out)


def clean_single_line(value: str) -> str:
    """A name, title or tag as it is stored: visible characters and single spaces, NFC."""
    if not value:
        return value
    value = _without_hidden(value, keep="")
    value = _WHITESPACE_RUN.sub(" ", value).strip()
    return unicodedata.normalize("NFC", value)


def clean_multiline(value: str) -> str:
    """A description or comment as it is stored: hidden characters gone, lines kept, NFC."""
    if not value:
        return value
    value = _without_hidden(value, keep="\n\r\t")
    return unicodedata.normalize("NFC", value.strip())


class _CleanedFieldMixin:
    """
    Cleans in ``to_python`` (so ``full_clean``, model forms and lookups see the cleaned text,
    and a value that was only invisible characters is blank) and in ``pre_save`` (so a plain
    ``save()`` from a serializer stores it cleaned too, and the instance says so).
    """

    cleaner = staticmethod(lambda value: value)

    def to_python(self, value):
        value = super().to_python(value)
        return self.cleaner(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class SingleLineCharField(_CleanedFieldMixin, models.CharField):
    """A ``CharField`` whose text goes through ``clean_single_line``."""

    cleaner = staticmethod(clean_single_line)


class MultiLineTextField(_CleanedFieldMixin, models.TextField):
    """A ``TextField`` whose text goes through ``clean_multiline``."""

    cleaner = staticmethod(clean_multiline)
