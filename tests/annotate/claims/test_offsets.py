from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.claims.offsets import (
    CONTEXT_WIDTH,
    KEPT_PUNCTUATION,
    OffsetMap,
    Span,
    codepoint_to_utf16,
    context,
    is_cluster_boundary,
    reanchor,
    snap_to_words,
    utf16_to_codepoint,
    validate_span,
)

# Pieces that random texts are made of: what news text holds, and what breaks naive code.
ATOMS = [
    "a", "Z", "7", " ", "  ", "\n", "\n\n", ",", ".", ":", "-", "—", "%", "(", ")",
    "“", "”", "‘", "’", "'", '"', "«", "»",
    "😀", "🇹🇷", "🇺🇿", "🇷", "👩\u200d💻", "👍🏽", "\u0301", "e\u0301",
    "Яна", "Орехова", "Akıncı", "Şentop", "İ", "ı", "Turkey’s", "3.5", "1,000",
    "中国", "ひらがな", "\U00020000", "word", "CSTO",
]  # fmt: skip

texts = st.lists(st.sampled_from(ATOMS), max_size=24).map("".join)
nonempty_texts = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=24).map("".join)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def splits_surrogate_pair(text: str, unit: int) -> bool:
    units = text.encode("utf-16-le")
    if not 0 < unit < len(units) // 2:
        return False
    return 0xDC00 <= int.from_bytes(units[2 * unit : 2 * unit + 2], "little") <= 0xDFFF


def sel(text: str, fragment: str) -> tuple[int, int]:
    start = text.index(fragment)
    return start, start + len(fragment)


# --- code points <-> UTF-16 ----------------------------------------------------------


@settings(max_examples=300)
@given(texts)
def test_codepoint_to_utf16_counts_the_code_units_before_the_offset(text: str) -> None:
    offsets = OffsetMap(text)
    for cp in range(len(text) + 1):
        unit = offsets.to_utf16(cp)
        assert unit == utf16_len(text[:cp])
        assert offsets.to_codepoint(unit) == cp


@settings(max_examples=300)
@given(texts)
def test_utf16_to_codepoint_round_trips_or_rejects_a_split_surrogate_pair(text: str) -> None:
    offsets = OffsetMap(text)
    assert offsets.utf16_length == utf16_len(text)
    for unit in range(offsets.utf16_length + 1):
        if splits_surrogate_pair(text, unit):
            with pytest.raises(ValueError, match="surrogate pair"):
                offsets.to_codepoint(unit)
        else:
            cp = offsets.to_codepoint(unit)
            assert utf16_len(text[:cp]) == unit
            assert offsets.to_utf16(cp) == unit


def test_single_conversions_count_an_emoji_as_one_code_point_and_two_units() -> None:
    text = "a😀b🇹🇷c"
    assert codepoint_to_utf16(text, 2) == 3  # after the emoji
    assert utf16_to_codepoint(text, 3) == 2
    assert codepoint_to_utf16(text, 5) == 8  # after the flag: two astral code points
    assert utf16_to_codepoint(text, 8) == 5
    assert utf16_to_codepoint(text, 6) == 4  # between the flag's two code points
    for inside in (2, 5, 7):
        with pytest.raises(ValueError, match="surrogate pair"):
            utf16_to_codepoint(text, inside)


def test_conversions_reject_offsets_outside_the_text() -> None:
    with pytest.raises(ValueError, match="outside"):
        codepoint_to_utf16("abc", 4)
    with pytest.raises(ValueError, match="outside"):
        utf16_to_codepoint("a😀", 4)
    with pytest.raises(ValueError, match="outside"):
        utf16_to_codepoint("abc", -1)


def test_offset_map_converts_many_offsets_of_a_long_text() -> None:
    text = ("Яна Орехова, Akıncı. " * 4 + "🇹🇷 ") * 20_000  # about 1.7M code points
    offsets = OffsetMap(text)
    for cp in range(0, len(text), 97):
        assert offsets.to_codepoint(offsets.to_utf16(cp)) == cp
    assert offsets.to_utf16(len(text)) == len(text) + 40_000
    plain = OffsetMap("x" * 2_000_000)
    assert plain.to_utf16(1_999_999) == 1_999_999


# --- snapping ------------------------------------------------------------------------

ARTICLE = (
    "Hulusi Akar said Ankara is ready to help, officials say. “The main lesson of the war "
    "for the republics,” comments Daria Isachenko. Turkey’s role grew by 3.5% in 2023 "
    "(the CSTO disagrees); the republics’ leaders met 🇹🇷🇺🇿 in İstanbul with Şentop and "
    "Akıncı. «Турция», says Яна Орехова. 👩\u200d💻 👍🏽 Cafe\u0301 pro-Russian.\n\n"
    'Next paragraph: "We are ready," he said. 中国的影响.'
)

# (text, selected fragment, expected quote after snapping; None: rejected)
SNAP_CASES: list[tuple[str, str, str | None]] = [
    (ARTICLE, " Ankara is ready to help,", "Ankara is ready to help"),
    (ARTICLE, "achenko.", "Isachenko"),
    (ARTICLE, "ria Isa", "Daria Isachenko"),
    (
        ARTICLE,
        "“The main lesson of the war for the republics,”",
        "“The main lesson of the war for the republics,”",
    ),
    (
        ARTICLE,
        " “The main lesson of the war for the republics,” ",
        "“The main lesson of the war for the republics,”",
    ),
    (
        ARTICLE,
        "he main lesson of the war for the republics,”",
        "The main lesson of the war for the republics",
    ),
    (ARTICLE, "“The main lesson", "The main lesson"),
    (ARTICLE, ", ", None),
    (ARTICLE, "”", None),
    (ARTICLE, ",” ", None),
    (ARTICLE, ". “", None),
    (ARTICLE, "Turk", "Turkey’s"),
    (ARTICLE, "’s role", "Turkey’s role"),
    (ARTICLE, "Turkey’", "Turkey’s"),
    (ARTICLE, "republics’ leaders", "republics’ leaders"),
    (ARTICLE, "the republics’ ", "the republics"),
    (ARTICLE, "5% in 2023 ", "3.5% in 2023"),
    (ARTICLE, "3.", "3.5"),
    (ARTICLE, "(the CSTO disagrees);", "(the CSTO disagrees)"),
    (ARTICLE, "(the CSTO", "the CSTO"),
    (ARTICLE, "🇷🇺", "🇹🇷🇺🇿"),
    (ARTICLE, "met 🇹", "met 🇹🇷"),
    (ARTICLE, "stanbul", "İstanbul"),
    (ARTICLE, "entop and Akın", "Şentop and Akıncı"),
    (ARTICLE, "«Турция», ", "«Турция»"),
    (ARTICLE, "на Орех", "Яна Орехова"),
    (ARTICLE, "👩", "👩\u200d💻"),
    (ARTICLE, "👍", "👍🏽"),
    (ARTICLE, "Cafe", "Cafe\u0301"),
    (ARTICLE, "Russian.", "Russian"),
    (ARTICLE, ".\n\nNext", "Next"),
    (ARTICLE, '"We are ready," he', '"We are ready," he'),
    (ARTICLE, '"We are ready', "We are ready"),
    (ARTICLE, "国的", "国的"),
    (ARTICLE, "的影响.", "的影响"),
    ("Ankara 😀", "Ankara 😀", "Ankara 😀"),
    ("(( x ))", "(( x ))", "(( x ))"),
    ("don't", "'t", "don't"),
    ("a ' b", " ' ", None),
]


@pytest.mark.parametrize(("text", "fragment", "expected"), SNAP_CASES)
def test_snap_to_words_examples(text: str, fragment: str, expected: str | None) -> None:
    start, end = sel(text, fragment)
    if expected is None:
        with pytest.raises(ValidationError, match="only spaces or punctuation"):
            snap_to_words(text, start, end)
    else:
        snapped = snap_to_words(text, start, end)
        assert text[snapped[0] : snapped[1]] == expected
        assert expected in text  # guards the table against typos


def test_snap_to_words_rejects_offsets_that_are_not_a_span() -> None:
    with pytest.raises(ValidationError, match="empty"):
        snap_to_words("abc", 1, 1)
    with pytest.raises(ValidationError, match="past the end"):
        snap_to_words("abc", 1, 9)
    with pytest.raises(ValidationError, match="negative"):
        snap_to_words("abc", -1, 2)


@st.composite
def selections(draw: st.DrawFn) -> tuple[str, int, int]:
    text = draw(nonempty_texts)
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    return text, start, end


def _trimmable(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Zs", "Zl", "Zp", "Cc") or (cat[0] == "P" and ch not in KEPT_PUNCTUATION)


@settings(max_examples=500)
@given(selections())
def test_snapping_is_idempotent_whole_clustered_and_keeps_every_word(
    case: tuple[str, int, int],
) -> None:
    text, start, end = case
    try:
        a, b = snap_to_words(text, start, end)
    except ValidationError as exc:
        assert exc.code == "no_words"
        # Only spaces and punctuation, or marks hanging on them.
        assert all(_trimmable(ch) or not is_cluster_boundary(text, i)
                   for i, ch in enumerate(text[start:end], start))  # fmt: skip
        return
    assert 0 <= a < b <= len(text)
    assert is_cluster_boundary(text, a) and is_cluster_boundary(text, b)
    assert snap_to_words(text, a, b) == (a, b)
    assert not text[a].isspace() and not text[b - 1].isspace()
    for i in range(start, end):
        if is_cluster_boundary(text, i) and not _trimmable(text[i]):
            assert a <= i < b, f"dropped {text[i]!r} at {i}"
    validate_span(text, a, b)


# --- validate_span -------------------------------------------------------------------


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_validate_span_returns_the_quote_and_its_context() -> None:
    start, end = sel(ARTICLE, "Daria Isachenko")
    span = validate_span(ARTICLE, start, end, "Daria Isachenko")
    assert span == Span(
        start=start,
        end=end,
        quote="Daria Isachenko",
        prefix=ARTICLE[start - CONTEXT_WIDTH : start],
        suffix=ARTICLE[end : end + CONTEXT_WIDTH],
    )
    assert span.prefix.endswith("” comments ")
    assert span.suffix.startswith(". Turkey’s")


def test_validate_span_rejects_offsets_that_are_not_whole_numbers() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", "1", 2.0)  # type: ignore[arg-type]
    assert messages(exc) == {
        "start": ["start must be a whole number, got '1'"],
        "end": ["end must be a whole number, got 2.0"],
    }
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", True, 2)
    assert "start" in messages(exc)


def test_validate_span_rejects_negative_offsets() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", -1, 2)
    assert messages(exc) == {"start": ["start must not be negative, got -1"]}


def test_validate_span_rejects_an_empty_span() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", 2, 2)
    assert messages(exc) == {"end": ["the span is empty: start and end are both 2"]}
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", 2, 1)
    assert messages(exc) == {"end": ["the span is empty: end 1 comes before start 2"]}


def test_validate_span_rejects_an_end_past_the_text() -> None:
    text = "x" * 8827
    with pytest.raises(ValidationError) as exc:
        validate_span(text, 120, 9120)
    assert messages(exc) == {"end": ["end 9120 is past the end of the text (8827 characters)"]}


def test_validate_span_rejects_a_whitespace_only_span() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_span("a \n\tb", 1, 4)
    assert messages(exc) == {"end": ["the span 1–4 holds only whitespace"]}


def test_validate_span_rejects_offsets_that_split_a_flag_or_a_combining_sequence() -> None:
    text = "in 🇹🇷 now"  # the flag is code points 3 and 4
    with pytest.raises(ValidationError) as exc:
        validate_span(text, 4, 9)
    assert messages(exc) == {
        "start": ["start 4 falls inside “🇹🇷”, which cannot be split: use 3 or 5"]
    }
    with pytest.raises(ValidationError) as exc:
        validate_span("Cafe\u0301 au lait", 0, 4)
    assert messages(exc) == {
        "end": ["end 4 falls inside “e\u0301”, which cannot be split: use 3 or 5"]
    }
    with pytest.raises(ValidationError, match="cannot be split"):
        validate_span("hi 👩\u200d💻", 0, 4)
    assert validate_span(text, 3, 5).quote == "🇹🇷"
    assert validate_span("🇹🇷🇺🇿", 2, 4).quote == "🇺🇿"  # flags pair up from the start


def test_validate_span_rejects_a_quote_that_does_not_match() -> None:
    text = "a" * 120 + "Ankara is ready to help" + "."
    with pytest.raises(ValidationError) as exc:
        validate_span(text, 120, 143, "Ankara is ready to hel")
    assert messages(exc) == {
        "quote": [
            "the quote does not match the text at 120–143: "
            "expected “Ankara is ready to help”, got “Ankara is ready to hel”"
        ]
    }


def test_validate_span_shortens_long_quotes_in_its_message() -> None:
    text = "word " * 100
    with pytest.raises(ValidationError) as exc:
        validate_span(text, 0, 499, "x" * 400)
    (message,) = messages(exc)["quote"]
    assert len(message) < 200
    assert "“word word" in message and "…" in message and "xxxx”" in message


def test_validate_span_names_the_fields_it_is_told() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_span("abc", 0, 9, names=("mention_start", "mention_end", "mention"))
    assert list(messages(exc)) == ["mention_end"]


def test_context_is_cut_at_the_edges_of_the_text() -> None:
    assert context("0123456789", 2, 5, width=4) == ("01", "5678")
    assert context("0123456789", 0, 10) == ("", "")


# --- re-anchoring --------------------------------------------------------------------


def test_reanchor_finds_a_quote_that_moved() -> None:
    old = "Intro. Ankara is ready to help, officials say."
    start, end = sel(old, "Ankara is ready")
    prefix, suffix = context(old, start, end)
    new = "A new first paragraph.\n\n" + old
    found = reanchor(new, "Ankara is ready", prefix, suffix, hint_start=start)
    assert found is not None and new[found[0] : found[1]] == "Ankara is ready"
    assert found[0] == start + len("A new first paragraph.\n\n")


def test_reanchor_prefers_the_occurrence_whose_context_matches() -> None:
    text = "Putin said no. Erdoğan said no. Tokayev said no."
    start = text.index("said no", text.index("Erdoğan"))
    prefix, suffix = context(text, start, start + 7)
    # The hint points at the first occurrence, the context at the second.
    assert reanchor(text, "said no", prefix, suffix, hint_start=0) == (start, start + 7)


def test_reanchor_breaks_ties_by_nearness_to_the_hint() -> None:
    text = "yes. yes. yes. yes."
    assert reanchor(text, "yes", hint_start=10) == (10, 13)
    assert reanchor(text, "yes") == (0, 3)


def test_reanchor_matches_a_quote_across_changed_line_breaks() -> None:
    text = "he said that Ankara\nis ready to help"
    assert reanchor(text, "Ankara is ready", hint_start=0) == (13, 28)


def test_reanchor_returns_none_when_the_quote_is_missing_or_blank() -> None:
    assert reanchor("Ankara is ready", "Moscow") is None
    assert reanchor("Ankara is ready", "  ") is None


@settings(max_examples=300)
@given(selections())
def test_reanchor_finds_every_validated_span_in_its_own_text(case: tuple[str, int, int]) -> None:
    text, start, end = case
    try:
        span = validate_span(text, start, end)
    except ValidationError:
        return
    assert reanchor(text, span.quote, span.prefix, span.suffix, span.start) == (start, end)
