"""The stored values that more than one export reads, named once.

Each reader puts its own columns (ids, users, times, derived values) around these runs.
Their order is written out only in a JSON Lines line's article keys: the row source
reads its SQL columns by name and the archive writes its keys sorted.
"""

from __future__ import annotations

# A claim's own values: its span and quote context, source and labels.
CLAIM_VALUES = (
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "source_id",
    "attribution",
    "mention_start",
    "mention_end",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
    "note",
)

# An article's id and metadata, as the row source reads them and a JSON Lines line
# starts with them (both then add ``text``; the line puts ``split`` before it).
ARTICLE_VALUES = (
    "id",
    "title",
    "byline",
    "outlet",
    "url",
    "published",
    "language",
    "sha256",
    "char_count",
    "metadata",
)

# The article's values a claim row copies, in ``rows.COLUMNS`` order (as ``article_<name>``,
# then the row's ``split``).
ARTICLE_META = ("title", "outlet", "byline", "url", "published", "language", "sha256")
