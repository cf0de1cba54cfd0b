"""The unified social credit code (GB 32100-2015), with python-stdnum as an independent oracle for the check."""

import random
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc as stdnum_uscc

from core.directory import uscc

# Codes published by real organisations (enterprises and a public institution, 12...), as seen in public documents
# and open-source test suites. All also pass the GB 11714 check of their organisation code (position 17).
REAL_CODES = [
    "91110000600037341L",
    "91440300708461136T",
    "914403001922038216",
    "91110000802100433B",
    "91110108551385082Q",
    "91330100716105852F",
    "91110000100010433L",
    "12100000400000624D",
    "123502001549897397",
    "913502000728319549",
    "9135021359498494XQ",
    "91350213678251743X",
    "91350200MA31E12PXF",
    "91440101MA5CJQ4N59",
    "91330201MA282UF146",
    "91330401MA28ADM67R",
    "91310115591693856A",
    "91310110666007217T",
]

# Codes of authorities that use a letter in position 1 (N 农业农村, Y 其他, A, G, J ...); their check characters
# were computed with stdnum's calc_check_digit, which (unlike its validate) works for any alphabet character.
LETTER_FIRST_CODES = [
    "N22112822FXQ13FA4L",
    "N32112247F8GK3YJ4C",
    "Y1211202QEYMWLLX82",
    "A1210000T024HY9B10",
    "G1211200PR3PH7GA43",
    "J1211281DYYNDU0M4T",
]

VALID_CODES = REAL_CODES + LETTER_FIRST_CODES


def seeded(seed: object) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, nothing secret


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        uscc.validate(value)
    return caught.value


def test_alphabet_and_weights_follow_the_standard():
    assert len(uscc.ALPHABET) == 31
    assert set(uscc.ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("IOSVZ")
    assert list(uscc.ALPHABET) == sorted(uscc.ALPHABET)
    assert list(uscc.WEIGHTS) == [3**i % 31 for i in range(17)]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid_and_agree_with_stdnum(code):
    assert stdnum_uscc.is_valid(code)
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)
    assert uscc.check_character(code[:17]) == code[17] == stdnum_uscc.calc_check_digit(code[:17])


@pytest.mark.parametrize("code", LETTER_FIRST_CODES)
def test_letter_first_codes_are_valid_although_stdnum_rejects_them(code):
    assert uscc.validate(code) == code
    assert uscc.check_character(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])
    with pytest.raises(stdnum_exceptions.InvalidFormat):
        stdnum_uscc.validate(code)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91110000600037341l", "91110000600037341L"),
        (" 9111 0000 6000 3734 1L ", "91110000600037341L"),
        ("91-110000-600037341-L", "91110000600037341L"),
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full width, as in Chinese documents
        ("９１１１００００　６０００３７３４１ｌ", "91110000600037341L"),  # full-width space, lower case
        ("91110000－600037341L", "91110000600037341L"),  # full-width hyphen
        ("91110000–600037341L\u200b", "91110000600037341L"),  # en dash, zero-width space
        ("n2 211282 2fxq13fa4 l", "N22112822FXQ13FA4L"),
    ],
)
def test_input_is_normalised(raw, expected):
    assert uscc.compact(raw) == expected
    assert uscc.validate(raw) == expected
    assert uscc.is_valid(raw)


@pytest.mark.parametrize("code", VALID_CODES)
def test_every_other_check_character_is_rejected(code):
    for wrong in uscc.ALPHABET.replace(code[17], ""):
        error = error_of(code[:17] + wrong)
        assert error.code == "checksum"


@pytest.mark.parametrize("letter", "IOSVZ")
@pytest.mark.parametrize("position", [1, 2, 10, 17, 18])
def test_letters_never_used_are_rejected(letter, position):
    code = "91110000600037341L"
    error = error_of(code[: position - 1] + letter + code[position:])
    assert error.code == "alphabet"
    assert error.params == {"position": position, "char": letter}
    assert error.message is uscc.MESSAGES["never_used"]


@pytest.mark.parametrize("char", ["#", "中", "Ä", "_"])
def test_other_characters_are_rejected(char):
    error = error_of("911100006000" + char + "7341L")
    assert error.code == "alphabet"
    assert error.params == {"position": 13, "char": char}
    assert error.message is uscc.MESSAGES["alphabet"]


@pytest.mark.parametrize("value", ["", "9111000060003734", "91110000600037341", "91110000600037341L0", "1" * 30])
def test_wrong_length_is_rejected(value):
    error = error_of(value)
    assert error.code == "length"
    assert error.params == {"count": len(value)}


@pytest.mark.parametrize("position", range(3, 9))
def test_region_must_be_digits(position):
    code = "91110000600037341L"
    first17 = code[: position - 1] + "A" + code[position:17]
    error = error_of(first17 + uscc.check_character(first17))  # a correct check character does not help
    assert error.code == "region"
    assert not stdnum_uscc.is_valid(first17 + uscc.check_character(first17))


def test_messages_are_short_english_msgids_with_chinese_translations():
    with translation.override("en"):
        assert error_of("9111").messages == ["A unified social credit code has 18 characters, not 4."]
        assert error_of("91110000600O37341L").messages == [
            "Character 12 is “O”, but the letters I, O, S, V and Z are never used in this code."
        ]
    with translation.override("zh-hans"):
        for message in uscc.MESSAGES.values():
            assert re.search(r"[\u4e00-\u9fff]", str(message)), f"no Chinese for {message!r}"
        assert "18" in error_of("9111").messages[0]


def test_validate_uscc_is_a_django_validator():
    assert uscc.validate_uscc("91110000600037341L") is None
    with pytest.raises(ValidationError) as caught:
        uscc.validate_uscc("91110000600037341M")
    assert caught.value.code == "checksum"


def test_check_character_needs_17_characters():
    with pytest.raises(ValueError, match="17"):
        uscc.check_character("91110000600037341L")


def test_generated_codes_are_valid_and_stdnum_agrees():
    rng = seeded(20150901)
    codes = [uscc.generate(rng) for _ in range(1000)]
    assert len(set(codes)) == 1000
    for code in codes:
        assert code.startswith("91211200")
        assert uscc.validate(code) == code
        assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(("first", "second"), [("N", "2"), ("N", "3"), ("Y", "1"), ("1", "2"), ("5", "1")])
@pytest.mark.parametrize("region", sorted(uscc.TIELING_DISTRICT_REGIONS.values()))
def test_generated_codes_of_other_authorities_and_regions_are_valid(first, second, region):
    rng = seeded(f"{first}{second}{region}")
    for _ in range(50):
        code = uscc.generate(rng, region=region, first=first, second=second)
        assert code.startswith(first + second + region)
        assert uscc.is_valid(code)
        assert uscc.check_character(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])
        assert stdnum_uscc.is_valid(code) == first.isdigit()


def test_generation_is_reproducible():
    assert [uscc.generate(seeded(7)) for _ in range(3)] == [uscc.generate(seeded(7)) for _ in range(3)]


@pytest.mark.parametrize(
    "arguments",
    [{"region": "2112"}, {"region": "21120A"}, {"first": "I"}, {"second": "S"}, {"first": "91"}],
)
def test_generate_refuses_an_invalid_prefix(arguments):
    with pytest.raises(ValueError, match="prefix"):
        uscc.generate(seeded(1), **arguments)


def _sample_codes() -> list[str]:
    rng = seeded(31)
    generated = [
        uscc.generate(rng, first=rng.choice(uscc.ALPHABET), second=rng.choice(uscc.ALPHABET)) for _ in range(20)
    ]
    return VALID_CODES + generated


@pytest.mark.parametrize("code", _sample_codes())
def test_every_single_character_substitution_is_detected(code):
    # A substitution changes the weighted sum by (difference of values) * weight; 31 is prime, both factors are
    # non-zero mod 31, so the change is never a multiple of 31.
    for index in range(18):
        for other in uscc.ALPHABET.replace(code[index], ""):
            assert not uscc.is_valid(code[:index] + other + code[index + 1 :]), (index, other)


@pytest.mark.parametrize("code", _sample_codes())
def test_every_swap_of_two_characters_is_detected_except_first_with_last(code):
    # Swapping positions i and j changes the sum by (v_i - v_j) * (w_j - w_i). The weights 3^0 .. 3^16 mod 31 are
    # distinct (3 has order 30 mod 31), and the check character has weight 1, the same as position 1.
    for i in range(18):
        for j in range(i + 1, 18):
            if code[i] == code[j]:
                continue
            swapped = list(code)
            swapped[i], swapped[j] = code[j], code[i]
            detected = not uscc.is_valid("".join(swapped))
            assert detected == ((i, j) != (0, 17)), (i, j)
