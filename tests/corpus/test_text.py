"""Text helpers: unwrapping, boilerplate, and what a plain text says about itself.

The seed articles are the main fixture: each of them has its own kind of boilerplate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from corpus.cleanup import looks_hard_wrapped, strip_boilerplate, unwrap_lines
from corpus.text import (
    clean_text,
    normalise_newlines,
    normalised_text,
)
from corpus.textmeta import describe_text, find_date, shorten_title

SEEDS = Path(settings.BASE_DIR) / "seeds"


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# --- The five seeds -----------------------------------------------------------------------


def test_pdf_seed_is_detected_as_hard_wrapped_and_unwrapped_into_paragraphs() -> None:
    raw = seed("000")
    assert looks_hard_wrapped(raw)
    described = describe_text(raw)
    paragraphs = described.text.split("\n\n")
    assert described.unwrapped
    assert len(paragraphs) == 6
    assert all("\n" not in p and len(p) > 300 for p in paragraphs)
    assert (
        "increased Turkeys influence in this region. The desire for a Turkic Union"
        in (paragraphs[0])
    )
    # The page break (several blank lines) after "the OTS." stays a paragraph break.
    assert paragraphs[2].endswith("for Turkey and the OTS.")
    assert paragraphs[3].startswith("While sending its troops to Kazakhstan")


def test_pdf_seed_title_is_its_first_sentence_cut_at_a_comma() -> None:
    described = describe_text(seed("000"))
    assert described.title == (
        "The Nagorno-Karabakh War, which resulted in Azerbaijans liberation of its occupied lands…"
    )
    assert (described.byline, described.outlet, described.published) == ("", "", None)


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_web_seeds_are_not_taken_for_hard_wrapped_text(prefix: str) -> None:
    assert not looks_hard_wrapped(seed(prefix))
    assert not describe_text(seed(prefix)).unwrapped


def test_seed_001_byline_rubric_and_source_line_become_fields() -> None:
    described = describe_text(seed("001"))
    assert described.title == "Turkey expands its influence in Central Asia and challenges Moscow"
    assert described.byline == "Яна Орехова"
    assert described.rubric == "Politics"
    assert described.outlet == "inosmi.ru"
    assert described.published is None
    text = described.text
    assert text.startswith(described.title + "\n\nAccording to BZ, Turkey")
    for gone in ("Яна Орехова Politics", "VK X OK", "Source: inosmi.ru", "Read also"):
        assert gone not in text
    for gone in ("Residents of Somalia", "mass protests took place", "Write a comment"):
        assert gone not in text
    # Section headings (short lines without a full stop) are article text.
    assert "\n\nWeapons as Key Exports\n\n" in text
    assert text.endswith("the most effective approach for Ankara in Central Asia.")


def test_seed_002_skip_link_link_list_appeal_and_tags_go() -> None:
    described = describe_text(seed("002"))
    assert described.title == (
        "An alternative to Russia and China: Turkey’s role in the South Caucasus and Central Asia"
    )
    assert described.outlet == "emerging-europe.com"
    assert described.byline == ""
    text = described.text
    assert text.startswith(described.title)
    for gone in ("Press", "Explainer:", "What Erdoğan’s re-election means", "TagsRussia"):
        assert gone not in text
    for gone in ("free to read", "contribute here", "independent journalism", "Published by"):
        assert gone not in text
    assert "Ahmet Davutoğlu,\u00a0concisely summarised" in text  # no-break space kept
    assert text.endswith("gives these countries more options for partners.")


def test_seed_003_by_line_gives_byline_and_date_and_the_signature_the_outlet() -> None:
    described = describe_text(seed("003"))
    assert described.title == (
        "The Turkic military alliance or why has Ankara accused Russia of occupying Kazakhstan?"
    )
    assert described.byline == "Vladimir Danilov"
    assert described.published == dt.date(2022, 1, 22)
    assert described.outlet == "New Eastern Outlook"
    text = described.text
    assert text.startswith(described.title + "\n\nThe January events in Kazakhstan")
    for gone in ("0 Comment", "by Vladimir Danilov on", "Post a Comment", "Back to Top"):
        assert gone not in text
    # The closing signature is the article's own text: it stays.
    assert text.endswith("exclusively for the online magazine “New Eastern Outlook”. Courtesy")


def test_seed_004_breadcrumb_and_latest_news_block_go() -> None:
    described = describe_text(seed("004"))
    assert described.title == (
        "Could the intervention of the CSTO states lead to change in Kazakhstan’s foreign policy"
        " towards Turkey?"
    )
    assert (described.byline, described.outlet, described.published) == ("", "", None)
    text = described.text
    assert text.startswith(described.title + "\n\nOn the 2nd of January protests")
    for gone in ("ArticlesCould", "Photo source", "Latest news", "Call for Papers", "Must read"):
        assert gone not in text
    for gone in ("Ukraine’s struggle for grain", "You might also like", "Recommended to you"):
        assert gone not in text
    assert "\n\nThe close connection between Turkey and Kazakhstan\n\n" in text
    assert text.endswith("a reorientation of foreign policy towards Turkey.")


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_keeping_boilerplate_keeps_the_text_but_still_reads_the_metadata(prefix: str) -> None:
    kept = describe_text(seed(prefix), strip_boilerplate=False)
    stripped = describe_text(seed(prefix))
    assert kept.text == clean_text(seed(prefix))
    assert len(kept.text) > len(stripped.text)
    assert (kept.title, kept.byline, kept.outlet, kept.published) == (
        stripped.title,
        stripped.byline,
        stripped.outlet,
        stripped.published,
    )


def test_unwrap_can_be_turned_off_and_forced() -> None:
    assert describe_text(seed("000"), unwrap=False).text == clean_text(seed("000"))
    forced = describe_text("A line that goes on\nand on here.\n\nNext.", unwrap=True)
    assert forced.unwrapped
    assert forced.text == "A line that goes on and on here.\n\nNext."


# --- Unwrapping ------------------------------------------------------------------------------

WRAPPED = """\
Turkey and Russia have competed for influence in the region for decades, and the
competition has become sharper since the war began. Ankara sells drones to the Central
Asian states, and Moscow keeps its troops in the region. The two capitals meet in many
formats, though neither trusts the other, and the smaller states try to profit from it.

Weapons as Key Exports
The Bayraktar drones were bought by Kyrgyzstan, Uzbekistan and Turkmenistan after the
war in Karabakh had shown what they can do. The deals are worth hundreds of millions.
- drones for Kyrgyzstan
- trainers for Uzbekistan
"""


def test_wrapped_text_is_detected_and_joined_keeping_headings_and_list_items() -> None:
    assert looks_hard_wrapped(WRAPPED)
    paragraphs = unwrap_lines(WRAPPED).split("\n\n")
    assert paragraphs[0].startswith("Turkey and Russia have competed for influence in the region")
    assert "\n" not in paragraphs[0]
    assert "since the war began. Ankara sells drones to the Central Asian states" in paragraphs[0]
    assert paragraphs[1].split("\n") == [
        "Weapons as Key Exports",
        "The Bayraktar drones were bought by Kyrgyzstan, Uzbekistan and Turkmenistan after the"
        " war in Karabakh had shown what they can do. The deals are worth hundreds of millions.",
        "- drones for Kyrgyzstan",
        "- trainers for Uzbekistan",
    ]


def test_one_paragraph_per_line_is_not_hard_wrapped() -> None:
    text = "\n".join(
        f"Paragraph {n} says something complete about Turkey and Central Asia."
        + " More words follow here." * (n % 4)
        for n in range(12)
    )
    assert not looks_hard_wrapped(text)


def test_hyphen_at_a_line_break_is_dropped_only_when_the_text_has_the_whole_word() -> None:
    text = (
        "The international order was shaken again, and the inter-\n"
        "national order is what the Russia-\n"
        "led bloc wants to reshape, and so on and so forth here.\n"
    )
    joined = unwrap_lines(text)
    assert "the international order is what the Russia-led bloc" in joined


def test_a_paragraph_cut_by_a_page_break_is_joined_again() -> None:
    text = "The talks were held in the capital of\n\n\n\nthe republic, officials said."
    assert (
        unwrap_lines(text) == "The talks were held in the capital of the republic, officials said."
    )


# --- Boilerplate, conservatively -------------------------------------------------------------


def test_tag_lists_go_but_a_sentence_starting_with_tags_stays() -> None:
    text = (
        "Tags are small labels that editors attach to articles.\n\n"
        "Tags: Russia, Turkey, Kazakhstan\n\n"
        "TagsRussia Kazakhstan Economy & Politics\n\n"
        "Tag Heuer watches were sold in Almaty, the company said.\n\n"
        "Tags Matter for Search\n\n"
        "Tag Heuer Opens Almaty Store"
    )
    assert strip_boilerplate(text).split("\n\n") == [
        "Tags are small labels that editors attach to articles.",
        "Tag Heuer watches were sold in Almaty, the company said.",
        "Tags Matter for Search",
        "Tag Heuer Opens Almaty Store",  # "Tag" takes a colon to be a tag list
    ]


def test_short_legitimate_lines_survive() -> None:
    text = (
        "Telegram\n\nOK\n\nX\n\nComments by the minister were cautious.\n\n"
        "Share prices fell in Istanbul.\n\nRelated to this, the lira fell too.\n\n"
        "Source of the trouble was the central bank."
    )
    assert strip_boilerplate(text) == text


def test_share_rows_skip_links_and_comment_prompts_go() -> None:
    text = (
        "Press “Enter” to skip to content\n"
        "Title\n"
        "Facebook Twitter  WhatsApp\n"
        "VK X OK WhatsApp Telegram\n"
        "Body text.\n"
        "Leave a reply\n"
        "3 Comments\n"
        "Back to top"
    )
    assert strip_boilerplate(text) == "Title\nBody text."


def test_read_also_inline_in_mid_text_drops_only_its_line() -> None:
    text = (
        "First paragraph of the article, long enough to be article text.\n\n"
        "Read also: Turkey opens a consulate in Almaty\n\n"
        "Second paragraph of the article goes on."
    )
    assert strip_boilerplate(text) == (
        "First paragraph of the article, long enough to be article text.\n\n"
        "Second paragraph of the article goes on."
    )


def test_read_also_heading_in_mid_text_keeps_the_section_heading_after_its_teaser() -> None:
    text = (
        "First paragraph.\n\nRead more:\n\nErdoğan visits Astana\n\n"
        "The teaser's lede is cut off in the middle of a...\n\n"
        "Military Aspects\n\nThe article goes on with a full paragraph."
    )
    assert strip_boilerplate(text) == (
        "First paragraph.\n\nMilitary Aspects\n\nThe article goes on with a full paragraph."
    )


def test_a_source_line_after_a_read_also_block_is_not_a_teaser() -> None:
    text = "Title\n\nBody.\n\nRead also:\n\nTurkey and Russia meet\n\nSource: inosmi.ru"
    described = describe_text(text)
    assert described.outlet == "inosmi.ru"
    assert described.text == "Title\n\nBody."


def test_a_list_the_article_introduces_stays_and_a_list_of_headlines_goes() -> None:
    introduced = (
        "The agreement covers:\n\n• joint exercises of the armed forces\n"
        "• the sale of drones and their training"
    )
    assert strip_boilerplate(introduced) == introduced
    inserted = (
        "A paragraph ends here.\n\n  • Turkey signs deal with Kazakhstan\n"
        "  • Explainer: What is the Middle Corridor?\n\nThe article goes on."
    )
    assert strip_boilerplate(inserted) == "A paragraph ends here.\n\nThe article goes on."


def test_an_appeal_for_support_goes_only_at_the_end() -> None:
    middle = (
        "Readers who support independent journalism in Kazakhstan face pressure.\n\n"
        "The government denies it."
    )
    assert strip_boilerplate(middle) == middle
    ending = middle + "\n\nSupport our journalism: donate now.\n\nSource: example.org"
    assert strip_boilerplate(ending) == middle + "\n\nSource: example.org"


def test_a_breadcrumb_is_dropped_only_when_it_truncates_the_title() -> None:
    assert strip_boilerplate(
        "NewsErdoğan meets Tokayev in...\nErdoğan meets Tokayev in Astana"
    ) == ("Erdoğan meets Tokayev in Astana")
    assert strip_boilerplate("Home » World » Asia\nTitle") == "Title"
    kept = "Wait for it...\nA completely different first line"
    assert strip_boilerplate(kept) == kept


def test_boilerplate_with_no_break_spaces_is_recognised() -> None:
    assert strip_boilerplate("Body.\nBack\u00a0to\u00a0Top") == "Body."


# --- Titles, bylines, dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("by Vladimir Danilov on 22 Jan 2022 0 Comment", dt.date(2022, 1, 22)),
        ("Published January 22, 2022", dt.date(2022, 1, 22)),
        ("Posted on 3rd March 2024", dt.date(2024, 3, 3)),
        ("2022-01-22T10:00", dt.date(2022, 1, 22)),
        ("Обновлено 22.01.2022", dt.date(2022, 1, 22)),
        ("22 января 2022 года", dt.date(2022, 1, 22)),
        ("5 Şubat 2024", dt.date(2024, 2, 5)),
        ("5 MAYIS 2024", dt.date(2024, 5, 5)),
        ("1 АВГУСТА 2023", dt.date(2023, 8, 1)),
        ("31 Feb 2022", None),
        ("In 2022 the talks failed", None),
    ],
)
def test_find_date(text: str, expected: dt.date | None) -> None:
    found = find_date(text)
    assert (found[0] if found else None) == expected


def test_header_bylines_are_read_and_their_lines_dropped() -> None:
    text = "Title of the piece\nBy Ayşe Yılmaz and Hakan Aksay | 5 March 2024\n\nBody text."
    described = describe_text(text)
    assert described.byline == "Ayşe Yılmaz and Hakan Aksay"
    assert described.published == dt.date(2024, 3, 5)
    assert described.text == "Title of the piece\n\nBody text."


def test_a_title_without_punctuation_before_a_lowercase_by_line_is_still_a_title() -> None:
    described = describe_text("Turkey expands its influence\nby John Smith on 3 May 2024\n\nBody.")
    assert described.title == "Turkey expands its influence"
    assert (described.byline, described.published) == ("John Smith", dt.date(2024, 5, 3))


def test_name_with_a_date_is_a_byline_but_a_bare_kicker_is_not() -> None:
    dated = describe_text("Title\nЯна Орехова 12.05.2025\n\nBody.")
    assert (dated.byline, dated.published) == ("Яна Орехова", dt.date(2025, 5, 12))
    kicker = describe_text("Title\nCentral Asia\n\nBody.")
    assert kicker.byline == ""
    assert kicker.text == "Title\nCentral Asia\n\nBody."
    by_the_way = describe_text("Title\nBy the way, this matters.\n\nBody.")
    assert by_the_way.byline == ""
    assert "By the way, this matters." in by_the_way.text


def test_source_url_gives_outlet_and_url() -> None:
    described = describe_text("Title\n\nBody.\n\nSource: https://www.inosmi.ru/20250101/x.html")
    assert described.outlet == "inosmi.ru"
    assert described.url == "https://www.inosmi.ru/20250101/x.html"
    assert described.text == "Title\n\nBody."


def test_a_sentence_after_source_is_not_an_outlet() -> None:
    text = "Title\n\nBody.\n\nSource: the ministry said that the talks would go on next week."
    described = describe_text(text)
    assert described.outlet == ""
    assert described.text == text
    assert describe_text("Title\n\nBody.\n\nSource: Reuters.").outlet == "Reuters"


def test_source_line_in_mid_text_is_article_text() -> None:
    paragraphs = [f"Paragraph {n} of the article." for n in range(12)]
    paragraphs.insert(6, "Source: World Bank")
    text = "Title\n\n" + "\n\n".join(paragraphs)
    described = describe_text(text)
    assert described.outlet == ""
    assert "Source: World Bank" in described.text


def test_shorten_title_keeps_abbreviations_and_cuts_long_sentences() -> None:
    assert shorten_title("The U.S. President met Tokayev. He said more.") == (
        "The U.S. President met Tokayev"
    )
    long = "Word " * 40
    assert shorten_title(long).endswith("…")
    assert len(shorten_title(long)) <= 100


def test_unicode_is_preserved_and_normalised_to_nfc() -> None:
    text = "Akıncı 🇹🇷 Яна Орехова İstanbul\r\nCafe\u0301"
    described = describe_text(text)
    assert described.text == "Akıncı 🇹🇷 Яна Орехова İstanbul\nCafé"
    assert normalise_newlines("\ufeffa\r\nb") == "a\nb"


# Pieces whose every sequence of four is a text below: line ends of all kinds, blank runs,
# trailing whitespace, a BOM, a lone CR (as long as a LF: the lengths alone can't tell).
_PIECES = ("a", "", " ", "\t", "\r", "\r\n", "\ufeff", "\n", "\n\n\n", "b\u00a0", "e\u0301")


def test_normalised_text_and_clean_text_from_lines_match_the_passes_over_the_text() -> None:
    """``normalised_text`` skips the join when nothing changed, and ``clean_text`` tests
    for a run of blank lines on the lines (issue 21): the same results as before."""
    import itertools

    for parts in itertools.product(_PIECES, repeat=4):
        raw = "".join(parts)
        text, lines = normalised_text(raw)
        assert text == normalise_newlines(raw), repr(raw)
        assert lines == text.split("\n"), repr(raw)
        if text == raw:
            assert text is raw  # not joined again
        cleaned = clean_text(text, newlines_done=True, lines=lines)
        assert cleaned == clean_text(raw), repr(raw)
