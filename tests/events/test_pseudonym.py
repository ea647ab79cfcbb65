"""Keyed pseudonyms against fixed vectors, so a change of algorithm, key use or length shows."""

from __future__ import annotations

from clickstream.events.pseudonym import pseudonymise


def test_pseudonym_is_p_and_the_first_32_hex_digits_of_rfc_4231_hmac_sha256() -> None:
    # RFC 4231, test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?")
    # = 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
    assert pseudonymise(b"Jefe", "what do ya want for nothing?") == (
        "p_5bdcc146bf60754e6a042426089575c7"
    )


def test_pseudonym_depends_on_the_key_and_keeps_the_same_user_stable() -> None:
    # computed with `openssl dgst -sha256 -hmac` outside the project
    assert pseudonymise(b"k" * 32, "user-7") == "p_cb64e719cba153be592035a86cb78bea"
    assert pseudonymise(b"k" * 32, "user-7") == pseudonymise(b"k" * 32, "user-7")
    assert pseudonymise(b"j" * 32, "user-7") != pseudonymise(b"k" * 32, "user-7")
