"""
Usernames that cannot pass for someone else's.

A username is normalised (NFKC, as Django's ``AbstractBaseUser.normalize_username`` does, then
stripped) and must be letters, digits and ``. + - _`` only: no "@" (an e-mail address, maybe
another person's, is not a username; people still log in with their e-mail address), nothing
invisible, and no mix of alphabets that look alike (Latin with Cyrillic or Greek, …; the mixes
Unicode's "highly restrictive" level allows, Latin with Han and Japanese kana or Hangul or
Bopomofo, are fine).

It must also not look like an existing username. Two checks, each backed by a unique index so
that two sign-ups racing each other still end with one account:

- the same name in another case (``Alice`` next to ``alice``): a unique index on
  ``Lower("username")``;
- the same *skeleton* (``аlice`` with a Cyrillic а, ``a1ice``, ``rnallory`` next to
  ``mallory``): ``User.username_key``, a digest of the skeleton, unique. The skeleton follows
  Unicode TR39's: decompose, replace every character by the prototype of its class of
  confusables, decompose again; we also case-fold, so ``AIice`` (capital i) matches ``alice``.

The confusable classes are Unicode's own (confusables.txt), as shipped by the
``confusable-homoglyphs`` package. It keeps them as "character → look-alikes" lists rather
than TR39's "character → prototype" table, so ``_prototypes`` joins the lists into classes and
picks a stable representative for each (its multi-character sequence if it has one, as
``rn`` for ``m``, else preferably an ASCII lower-case letter). Any stable representative gives
the same answer to "do these two look alike", which is all the key is for.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from confusable_homoglyphs import categories
from confusable_homoglyphs.confusables import confusables_data
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from project.text import is_hidden

USERNAME_MAX_LENGTH = 150

#: Separates a key from the id of an account that already looked like another one before this
#: rule existed; such a pair is kept as it is (see the migration that added the keys).
LEGACY_KEY_SEPARATOR = "#"

USERNAME_HELP_TEXT = "Letters, digits and . + - _ only. You can log in with it."

HIDDEN_CHARACTERS = "A username cannot contain invisible or text-direction characters."
EMAIL_SHAPED = (
    "A username cannot be an email address or contain “@”. Choose a name; you can still "
    "log in with your email address."
)
BAD_CHARACTERS = "Use letters, digits and . + - _ only."
MIXED_SCRIPTS = (
    "A username cannot mix alphabets that look alike (for example Latin and Cyrillic letters)."
)
LOOKS_TAKEN = "This username is taken, or looks too much like one that is. Choose another."

_USERNAME_CHARACTERS = re.compile(r"^[\w.+-]+\Z")

#: The mixes of scripts Unicode TR39's "highly restrictive" level allows in one identifier.
_ALLOWED_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED", "Unknown"})

#: Marks that Unicode's data writes around some right-to-left prototypes; not part of them.
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def normalize_username(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def scripts(value: str) -> frozenset[str]:
    """The scripts of ``value``'s characters, leaving out digits, punctuation and marks."""
    return frozenset(categories.alias(char) for char in value) - _SHARED_SCRIPTS


def validate_username(value: str) -> None:
    """The username field's validator: what a username may be made of."""
    if any(is_hidden(char) for char in value):
        raise ValidationError(HIDDEN_CHARACTERS, code="hidden_characters")
    if "@" in value:
        raise ValidationError(EMAIL_SHAPED, code="email_shaped")
    if not _USERNAME_CHARACTERS.match(value):
        raise ValidationError(BAD_CHARACTERS, code="invalid")
    used = scripts(value)
    if len(used) > 1 and not any(used <= mix for mix in _ALLOWED_SCRIPT_MIXES):
        raise ValidationError(MIXED_SCRIPTS, code="mixed_scripts")


def _representative(members: list[str]) -> str:
    multi = [member for member in members if len(member) > 1]
    if multi:
        return min(multi)

    def preference(char: str) -> tuple[int, int]:
        if char.isascii() and char.isalpha():
            return (0 if char.islower() else 1, ord(char))
        return (2 if char.isascii() else 3, ord(char))

    return min(members, key=preference)


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character → the representative of its class (built once, ~0.1 s)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for char, look_alikes in confusables_data.items():
        for look_alike in look_alikes:
            first = find(char.translate(_DIRECTION_MARKS))
            second = find(look_alike["c"].translate(_DIRECTION_MARKS))
            if first != second:
                parent[first] = second
    classes: dict[str, list[str]] = {}
    for item in list(parent):
        classes.setdefault(find(item), []).append(item)
    table = {}
    for members in classes.values():
        representative = _representative(members)
        table.update({member: representative for member in members if len(member) == 1})
    return table


def username_skeleton(value: str) -> str:
    """
    What a username looks like: equal for two names a reader could take for each other
    (``аlice``, ``a1ice``, ``AIice`` and ``alice`` are all ``alice``).
    """
    table = _prototypes()
    skeleton = normalize_username(value)
    for _ in range(4):  # a representative made of several characters may need a second pass
        mapped = "".join(table.get(char, char) for char in unicodedata.normalize("NFD", skeleton))
        mapped = unicodedata.normalize("NFD", mapped).casefold()
        if mapped == skeleton:
            break
        skeleton = mapped
    return skeleton


def username_key(value: str) -> str:
    """
    The digest of the skeleton, as stored in ``User.username_key``: a skeleton can be many
    times longer than its username (a Hangul syllable decomposes into several letters), a
    digest has one size that any index takes.
    """
    return hashlib.sha256(username_skeleton(value).encode()).hexdigest()


def clean_username(value: str, *, exclude_pk: int | None = None) -> str:
    """
    A new or changed username, normalised, or a ``ValidationError`` saying why it cannot be
    (its characters, or that it is, or looks like, an existing username other than the account
    ``exclude_pk``). The account adapter (sign-up) and the admin's user forms call this; the
    unique indexes behind it settle a race between two sign-ups.
    """
    username = normalize_username(value)
    if not username:
        raise ValidationError("Choose a username.", code="required")
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(f"Use {USERNAME_MAX_LENGTH} characters or fewer.", code="max_length")
    validate_username(username)
    others = get_user_model()._default_manager.exclude(pk=exclude_pk)
    same_name = others.alias(lower_username=Lower("username")).filter(
        lower_username=username.lower()
    )
    if same_name.exists() or others.filter(username_key=username_key(username)).exists():
        raise ValidationError(LOOKS_TAKEN, code="unique")
    return username
