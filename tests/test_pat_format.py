"""The secret's format, offline checks and the token policy settings (no database involved)."""

import math
import string
from datetime import timedelta

import pytest

from host import StartupError
from host.settings import parse_settings
from plugins.pat_auth import tokens
from plugins.pat_auth.policy import PatSettings, Policy
from plugins.pat_auth.policy import load_policy as policy_of


def load_policy(table: dict) -> Policy:
    """The policy a `[plugins.pat_auth]` table gives, parsed as the host parses it at startup."""
    return policy_of(parse_settings("pat_auth", PatSettings, table))


def test_new_token_has_prefix_base62_body_and_a_valid_checksum():
    secret = tokens.new_token()
    assert secret.startswith("rpa_")
    assert len(secret) == 4 + 40
    assert set(secret[4:]) <= set(string.ascii_letters + string.digits)
    assert tokens.shape(secret) is tokens.Shape.OK


def test_randomness_is_at_least_160_bits_and_tokens_differ():
    assert tokens.RANDOM_LENGTH * math.log2(62) >= 160
    assert len({tokens.new_token() for _ in range(200)}) == 200


def test_checksum_is_crc32_of_the_random_part_in_six_base62_characters():
    secret = tokens.new_token()
    random_part = secret[4:-6]
    assert secret[-6:] == tokens.checksum(random_part)
    assert tokens.base62(0, 6) == "000000"
    assert tokens.base62(2**32 - 1, 6) == tokens.base62(2**32 - 1, 6).rjust(6, "0")
    assert len(tokens.base62(2**32 - 1, 6)) == 6


@pytest.mark.parametrize("position", [4, 20, 37, -1])
def test_one_changed_character_breaks_the_checksum(position):
    secret = tokens.new_token()
    index = position % len(secret)
    replacement = "A" if secret[index] != "A" else "B"
    changed = secret[:index] + replacement + secret[index + 1 :]
    assert tokens.shape(changed) is tokens.Shape.BAD_CHECKSUM


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "rpa_",
        "not-a-token",
        "ghp_" + "a" * 40,
        "RPA_" + "a" * 40,
        "rpa_" + "a" * 39,
        "rpa_" + "a" * 41,
        "rpa_" + "a" * 39 + "-",
        "rpa_" + "é" * 40,
        "x" * 10_000,
    ],
)
def test_malformed_values_are_recognised_offline(candidate):
    assert tokens.shape(candidate) is tokens.Shape.MALFORMED


def test_hint_shows_only_the_prefix_and_the_last_four_characters():
    secret = tokens.new_token()
    hint = tokens.hint(secret)
    assert hint == f"rpa_…{secret[-4:]}"
    assert secret[4:-4] not in hint


def test_default_policy_offers_the_products_six_expirations():
    policy = load_policy({})
    assert list(policy.expirations) == ["7d", "30d", "45d", "60d", "1y", "never"]
    assert policy.expirations["1y"] == timedelta(days=365)
    assert policy.expirations["never"] is None
    assert policy.default_expiration == "30d"
    assert policy.max_tokens_per_user == 50
    assert policy.max_lifetime_days is None


def test_max_lifetime_removes_never_and_longer_choices():
    policy = load_policy({"max_lifetime_days": 45})
    assert list(policy.expirations) == ["7d", "30d", "45d"]
    short = load_policy({"max_lifetime_days": 7})
    assert list(short.expirations) == ["7d"]
    assert short.default_expiration == "7d"


def test_configured_expirations_and_default():
    policy = load_policy({"expirations": ["7d", "90d"], "default_expiration": "90d"})
    assert policy.expirations == {"7d": timedelta(days=7), "90d": timedelta(days=90)}
    assert policy.default_expiration == "90d"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"expirations": ["7d", "forever"]}, "forever"),
        ({"expirations": []}, "expirations"),
        ({"default_expiration": "1y", "max_lifetime_days": 60}, "default_expiration"),
        ({"max_lifetime_days": 0}, "max_lifetime_days"),
        ({"max_tokens_per_user": "many"}, "max_tokens_per_user"),
        ({"max_lifetime_days": 3}, "max_lifetime_days"),
        ({"max_token_per_user": 5}, "unknown setting.s. max_token_per_user"),
        (
            {"max_tokens_per_user": True},
            r"\[plugins.pat_auth\] max_tokens_per_user: Expected `int`, got `bool`",
        ),
    ],
)
def test_policy_mistakes_stop_the_startup_naming_the_setting(settings, named):
    with pytest.raises(StartupError, match=named):
        load_policy(settings)
