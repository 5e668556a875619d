"""The reader's ``{% reader_text %}`` tag: the article text with a linked span marked."""

from __future__ import annotations

from corpus.templatetags.reader_span import text_with_span


def test_text_with_span_marks_the_span_escaped_across_paragraphs() -> None:
    text = "a <b> c\n\nd & e\nf"
    html = text_with_span(text, {"start": "2", "end": "14"})
    assert html == (
        '<p>a <mark id="claim-span" class="claim-span">&lt;b&gt; c</mark></p>\n\n'
        '<p><mark class="claim-span">d &amp; e</mark><br>f</p>'
    )
    plain = "<p>a &lt;b&gt; c</p>\n\n<p>d &amp; e<br>f</p>"
    for bad in ({}, {"start": "3", "end": "3"}, {"start": "0", "end": "99"}, {"start": "x"}):
        assert text_with_span(text, bad) == plain
    # A span that begins or ends on line breaks is trimmed to visible text.
    assert text_with_span(text, {"start": "7", "end": "10"}) == (
        '<p>a &lt;b&gt; c</p>\n\n<p><mark id="claim-span" class="claim-span">d</mark>'
        " &amp; e<br>f</p>"
    )
