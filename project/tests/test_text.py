"""The cleaning of names, titles and texts (``project.text``), on its own."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from project.text import clean_multiline, clean_single_line, is_hidden

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLES = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u3164\u034f"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Alice\u200b Owner", "Alice Owner"),
        ("\u202eevil.exe", "evil.exe"),
        ("invoice\u2066\u2069", "invoice"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\ufeffBOM", "BOM"),
        ("tab\tand\nnew  line", "tab and new line"),
        ("line\u2028separator", "line separator"),
        ("nul\x00byte", "nulbyte"),
        ("e\u0301t\u00e9", "\u00e9t\u00e9"),  # composed to NFC
        ("\u200b\u200d\u2060", ""),
        ("  padded  ", "padded"),
    ],
)
def test_single_line_loses_hidden_characters(typed, stored):
    assert clean_single_line(typed) == stored


@pytest.mark.parametrize(
    "kept",
    [
        "\U0001f469\u200d\U0001f4bb pair programming",  # woman technologist: ZWJ sequence
        "\U0001f468\U0001f3fd\u200d\U0001f680",  # with a skin tone
        "\u2764\ufe0f release",  # emoji presentation selector
        "1\ufe0f\u20e3 first",  # keycap
        "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Wales",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, ZWNJ between letters
        "\u0915\u094d\u200d\u0937",  # Devanagari, ZWJ in a conjunct
        "\u05e9\u05dc\u05d5\u05dd world",  # right-to-left letters themselves stay
    ],
)
def test_joiners_that_a_script_or_an_emoji_needs_stay(kept):
    assert clean_single_line(kept) == unicodedata.normalize("NFC", kept)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("bug\u200d", "bug"),  # a joiner after a Latin letter joins nothing
        ("b\u200cug", "bug"),
        ("bug\ufe0f", "bug"),
        ("x\U000e0041\U000e0042y", "xy"),  # tag characters outside a flag hide text
    ],
)
def test_joiners_elsewhere_go(typed, stored):
    assert clean_single_line(typed) == stored


def test_multiline_keeps_lines_and_spacing_but_not_bidi_controls():
    typed = "# Plan\n\n- step  one\u202e\n\tcode\u200b block\r\nend\u2029next"
    assert clean_multiline(typed) == "# Plan\n\n- step  one\n\tcode block\r\nend\nnext"


@given(st.text())
def test_cleaning_leaves_no_bidi_control_and_is_stable(value):
    for clean in (clean_single_line, clean_multiline):
        once = clean(value)
        assert not set(once) & set(BIDI_CONTROLS)
        assert clean(once) == once
    single = clean_single_line(value)
    assert single == single.strip()
    assert "\n" not in single and "  " not in single


@given(st.text(alphabet=st.sampled_from("ab " + BIDI_CONTROLS + INVISIBLES)))
def test_only_visible_latin_letters_survive_among_invisibles(value):
    cleaned = clean_single_line(value)
    assert set(cleaned) <= set("ab ")
    assert not any(is_hidden(char) for char in cleaned)
