"""The password rules and hashing."""

from __future__ import annotations

from accounts.passwords import common_passwords, hash_password, password_problem, verify_password


def test_hashes_are_argon2id_and_verify() -> None:
    hashed = hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough passphrase")
    assert not verify_password(hashed, "a long enough passphrasE")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "anything at all")


def test_the_shipped_list_of_common_passwords_is_loaded() -> None:
    common = common_passwords()
    assert len(common) > 19000
    assert "password" in common


def test_rules() -> None:
    assert password_problem("a long enough passphrase", "jane@example.org") is None
    assert password_problem("short", "") is not None
    assert password_problem("x" * 257, "") is not None
    assert password_problem("qwertyuiop123", "") is not None  # common with digits added
    assert password_problem("jane.doe.is.me.2026", "jane.doe@example.org") is not None
