"""How long what people type or import may be: every bound in one place, with its message.

The services check these (``Limit.check``, or ``common.text.check_text`` with a limit),
so that the pages, the API, the admin, the commands and the imports refuse the same
things with the same words; forms and serializers repeat ``.size`` as ``max_length``
where it helps the user to see the bound. Bounds of columns (``CharField.max_length``)
are the same numbers: a value past them is refused before the database would fail.

The size of a whole article is a setting (``CLAIMDESK_MAX_ARTICLE_CHARS``), as is the
size of a request body (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``).
"""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    """At most ``size`` ``unit`` in ``what`` ("a claim's note")."""

    size: int
    what: str
    unit: str = "characters"

    def message(self, found: int) -> str:
        what = self.what[0].upper() + self.what[1:]
        return f"{what} can have at most {self.size:,} {self.unit}; this one has {found:,}."

    def check(self, value: Sized, *, field: str) -> None:
        """Raise ``ValidationError({field: message})`` if ``value`` is longer."""
        if len(value) > self.size:
            raise ValidationError({field: self.message(len(value))})


# --- Claims and decisions ---------------------------------------------------------------
NOTE = Limit(10_000, "a claim's note")
RATIONALE = Limit(10_000, "a decision's rationale")
CLUSTER_STATEMENT = Limit(500, "a cluster's statement")

# --- The source registry and stance targets ---------------------------------------------
SOURCE_NAME = Limit(300, "a source's name")
ALIAS = Limit(300, "an alias")
ALIASES = Limit(500, "a source", "aliases")
DESCRIPTION = Limit(500, "a source's description")
EXTERNAL_ID = Limit(100, "an external id")
TARGET_NAME = Limit(300, "a target's name")

# --- Articles ---------------------------------------------------------------------------
TITLE = Limit(500, "a title")
BYLINE = Limit(300, "a byline")
OUTLET = Limit(200, "an outlet")
URL = Limit(1000, "a URL")
LANGUAGE = Limit(16, "a language code")
SOURCE_FILE = Limit(500, "a file name")
# Characters of an article's metadata written as JSON: it is shown and exported with it.
METADATA = Limit(100_000, "an article's metadata (as JSON)")

# --- Projects ---------------------------------------------------------------------------
PROJECT_NAME = Limit(200, "a project's name")
PROJECT_DESCRIPTION = Limit(10_000, "a project's description")
GUIDELINES = Limit(200_000, "a project's guidelines")
# The annotation scheme (corpus.scheme): a field's or a value's label and help text.
SCHEME_LABEL = Limit(100, "a label")
SCHEME_HELP = Limit(1_000, "a help text")
SCHEME_VALUES = Limit(100, "a field", "values")

# --- The team and the user's own page ---------------------------------------------------
TOKEN_NAME = Limit(100, "a token's name")
EMAIL = Limit(254, "an e-mail address")
USERNAME = Limit(150, "a username")

# --- Filters ----------------------------------------------------------------------------
# Search words of a list's filter (the API's ``?q=``; the pages cut longer ones).
QUERY = Limit(200, "a search")


def template_context(request: HttpRequest) -> dict[str, Any]:
    """``limits`` for the templates (a context processor): ``{{ limits.NOTE.size }}`` as
    a form field's ``maxlength``, so that the page says the bound the service holds."""
    return {"limits": _BY_NAME}


_BY_NAME = {name: value for name, value in globals().items() if isinstance(value, Limit)}
