"""Certificate codes: 128 random bits in Crockford base32, readable groups, forgiving input."""
import pytest

from academy.certificates import codes
from academy.certificates.codes import ALPHABET, display, new_code, normalise

CROCKFORD_TO_PYTHON_BASE32 = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")


def test_codes_are_26_characters_of_the_alphabet():
    for _ in range(200):
        code = new_code()
        assert len(code) == 26
        assert set(code) <= set(ALPHABET)
        assert code[0] in "01234567"  # 130 bits of room for 128 bits of value


def test_ten_thousand_codes_are_unique():
    assert len({new_code() for _ in range(10_000)}) == 10_000


def test_the_entropy_comes_from_secrets_and_is_encoded_big_endian(monkeypatch):
    requested = []
    value = bytes(range(1, 17))

    def token_bytes(size):
        requested.append(size)
        return value

    monkeypatch.setattr(codes.secrets, "token_bytes", token_bytes)
    code = new_code()
    assert requested == [16]
    assert int(code.translate(CROCKFORD_TO_PYTHON_BASE32), 32) == int.from_bytes(value, "big")


@pytest.mark.parametrize("value,expected", [
    (bytes(16), "0" * 26),
    (b"\xff" * 16, "7" + "Z" * 25),
])
def test_extreme_values(monkeypatch, value, expected):
    monkeypatch.setattr(codes.secrets, "token_bytes", lambda size: value)
    assert new_code() == expected


def test_display_groups_the_whole_code():
    code = "0123456789ABCDEFGHJKMNPQRS"
    assert display(code) == "0123-4567-89AB-CDEF-GHJK-MNPQ-RS"
    assert display(code).replace("-", "") == code


def test_display_and_normalise_round_trip():
    for _ in range(500):
        code = new_code()
        assert normalise(display(code)) == code
        assert normalise(display(code).lower()) == code
        assert normalise(code) == code


@pytest.mark.parametrize("typed", [
    "0123 4567 89ab cdef ghjk mnpq rs",
    " 0123-4567-89AB-CDEF-GHJK-MNPQ-RS\n",
    "O123-4567-89AB-CDEF-GHJK-MNPQ-RS",  # letter O for zero
    "0I23-4567-89AB-CDEF-GHJK-MNPQ-RS",  # letter I for one
    "0l23-4567-89AB-CDEF-GHJK-MNPQ-RS",  # letter l for one
    "0123\u20134567\u201089AB-CDEF-GHJK-MNPQ-RS",  # dashes a word processor substitutes
])
def test_normalise_forgives_case_separators_and_confusables(typed):
    assert normalise(typed) == "0123456789ABCDEFGHJKMNPQRS"


@pytest.mark.parametrize("typed", [
    "",
    "0123-4567",
    "0123456789ABCDEFGHJKMNPQR",  # 25
    "0123456789ABCDEFGHJKMNPQRST",  # 27
    "0123456789ABCDEFGHJKMNPQRU",  # U is not in the alphabet
    "0123456789ABCDEFGHJKMNPQR*",
    "0123456789ABCDEFGHJKMNPQR\u0665",  # an Arabic-Indic digit is not a digit here
    "8123456789ABCDEFGHJKMNPQRS",  # more than 128 bits: new_code cannot have made it
])
def test_normalise_rejects_what_cannot_be_a_code(typed):
    assert normalise(typed) is None
