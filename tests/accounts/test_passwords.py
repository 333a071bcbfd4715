"""The password rules and hashing."""

from __future__ import annotations

from accounts.passwords import (
    common_passwords,
    hash_password,
    hash_password_async,
    password_problem,
    verify_password,
    verify_password_async,
)


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


async def test_the_async_versions_hash_and_verify_alike() -> None:
    hashed = await hash_password_async("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough passphrase")
    assert await verify_password_async(hash_password("another passphrase"), "another passphrase")
    assert not await verify_password_async(hashed, "a long enough passphrasE")
    assert not await verify_password_async(None, "anything at all")
    assert not await verify_password_async("not a hash", "anything at all")
