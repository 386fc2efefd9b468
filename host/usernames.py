"""The username rule, one for every login source (internal, LDAP, any future plugin).

A person reads a username, so two names that look alike are one name: names are compared by
their key (NFKC normalisation and case folding: `Admin`, `ＡＤＭＩＮ` and `admin` are one key),
and a new name whose Unicode TR39 skeleton equals an existing one's (`аdmin` with a Cyrillic
`а`, `rnary` beside `mary`, `caroI` beside `carol`) is refused; both are unique columns of
`host_users`. A name is written in one script (TR39 "highly restrictive": one script, or Latin
with the Han/Kana/Hangul combinations of Chinese, Japanese and Korean, plus common digits and
punctuation), without whitespace, control or invisible characters, and without `:`, which ends
the username in Basic credentials.

ICU implements TR39 (skeletons and restriction levels); PyICU exposes it as `icu.SpoofChecker`.
"""

from __future__ import annotations

import unicodedata

import icu

MAX_LENGTH = 150
MAX_SKELETON = 4 * MAX_LENGTH
_NEUTRAL_SCRIPTS = {"Common", "Inherited"}
_CHECKS = icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.INVISIBLE | icu.USpoofChecks.MIXED_NUMBERS


def _checker() -> icu.SpoofChecker:
    # Configured once, then only read (check, getSkeleton): safe to share between threads.
    checker = icu.SpoofChecker()
    checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    checker.setChecks(_CHECKS)
    return checker


_SPOOF = _checker()


class UsernameError(ValueError):
    """A username the rule refuses; the message says why, for the person who chose it."""


def username_key(username: str) -> str:
    """The form names are compared in: NFKC case folding (`Admin` → `admin`, `ＢＯＢ` → `bob`)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def skeleton(username: str) -> str:
    """Two names are confusable when these are equal: the TR39 skeleton, case-folded, skeleton
    again, because names ignore case (`caroI` with a capital i looks like `carol`, and the
    Cyrillic `АСЕ` like `ACE`, which is `ace`)."""
    shape = _SPOOF.getSkeleton(0, unicodedata.normalize("NFKC", username))
    return _SPOOF.getSkeleton(0, shape.casefold())


def _bad_character(text: str) -> str | None:
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category.startswith("Z"):
            return "cannot contain spaces or other whitespace"
        if category.startswith("C"):
            return f"cannot contain control or invisible characters (U+{ord(ch):04X})"
        if ch == ":":
            return "cannot contain ':' (it ends the username in Basic credentials)"
    return None


def _scripts(text: str) -> list[str]:
    names = {icu.Script.getScript(ch).getName() for ch in text}
    return sorted(names - _NEUTRAL_SCRIPTS)


def check_username(username: str) -> str:
    """The key of an acceptable username; raises `UsernameError` saying what is wrong.

    Only the text is judged here; `create_user` also refuses a name whose key or skeleton an
    existing user already has. A login plugin calls this before asking its directory anything.
    """
    if not isinstance(username, str) or not username:
        raise UsernameError("A username is required.")
    key = username_key(username)
    if len(username) > MAX_LENGTH or len(key) > MAX_LENGTH:
        raise UsernameError(f"A username must be 1-{MAX_LENGTH} characters.")
    problem = _bad_character(username) or _bad_character(key)
    if problem:
        raise UsernameError(f"A username {problem}.")
    failed = _SPOOF.check(key)
    if failed & icu.USpoofChecks.RESTRICTION_LEVEL:
        raise UsernameError(
            f"The username {username!r} mixes scripts ({', '.join(_scripts(key))}): write it in one "
            "script, so that it cannot pass for another user's name."
        )
    if failed & icu.USpoofChecks.MIXED_NUMBERS:
        raise UsernameError(f"The username {username!r} mixes digits of different number systems.")
    if failed:
        raise UsernameError(f"The username {username!r} repeats an invisible or combining mark.")
    if len(skeleton(username)) > MAX_SKELETON:
        raise UsernameError(f"A username must be 1-{MAX_LENGTH} characters.")
    return key
