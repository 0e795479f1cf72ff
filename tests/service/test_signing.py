from __future__ import annotations

import pytest

from service.signing import SearchIdSigner


def test_minted_ids_verify_and_are_unique() -> None:
    signer = SearchIdSigner("a-secret-of-some-length")
    ids = {signer.mint() for _ in range(100)}
    assert len(ids) == 100
    assert all(signer.verify(search_id) for search_id in ids)


@pytest.mark.parametrize(
    "forged",
    ["", "abc", "0" * 32, "0" * 32 + ".AAAAAAAAAAAAAAAAAAAAAA", "not-hex.sig", "x" * 200],
)
def test_forged_ids_do_not_verify(forged: str) -> None:
    assert not SearchIdSigner("a-secret-of-some-length").verify(forged)


def test_another_secret_does_not_verify() -> None:
    search_id = SearchIdSigner("a-secret-of-some-length").mint()
    assert not SearchIdSigner("another-secret-entirely").verify(search_id)
    raw, _, mac = search_id.partition(".")
    tampered = ("f" if raw[0] != "f" else "e") + raw[1:] + "." + mac
    assert not SearchIdSigner("a-secret-of-some-length").verify(tampered)
