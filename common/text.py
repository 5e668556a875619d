"""The one check of text that comes in: what the database can store and a person can see.

Refused everywhere — in every stored value and every filter of a query string:

- NUL (U+0000): PostgreSQL's text and jsonb can't hold it (SQLite would store it, and the
  same request would fail on the other database);
- a lone surrogate (U+D800–U+DFFF, from a ``\\ud800`` escape in JSON): it is no character,
  UTF-8 can't encode it, PostgreSQL refuses it and no page or export could show it.

Refused in one-line values as well (names, aliases, titles, bylines, outlets, languages,
metadata keys, search words and other filters): the other C0 control characters and DEL
(U+0001–U+001F but tab, line feed and carriage return, and U+007F). They are invisible, so
two names that look the same would differ. Long text (an article's text, a note, a
description, guidelines, metadata values) keeps them: a form feed between the pages of a
converted PDF is no reason to refuse an article, and they harm nothing stored.

``text_problem`` says what is wrong (or None); ``check_text`` raises the ``ValidationError``
the services raise, keyed by field; ``check_json_text`` walks a JSON value (keys and
values); ``QueryTextMiddleware`` answers 400 to a query string that fails the check, before
any view turns it into a filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from common.limits import Limit

_NEVER = re.compile("[\x00\ud800-\udfff]")
_NEVER_IN_A_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What makes ``value`` unfit to store, as a sentence; None if nothing does."""
    if multiline and "\x00" not in value:
        # Long texts (an article is megabytes): strict UTF-8 fails on a surrogate and on
        # nothing else, and runs ten times faster than the regex.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return None
    found = (_NEVER if multiline else _NEVER_IN_A_LINE).search(value)
    if found is None:
        return None
    ch, where = found.group(), f"at character {found.start() + 1:,}"
    code = f"U+{ord(ch):04X}"
    if ch == "\x00":
        return (
            f"It holds a NUL character ({code}, {where}), which can't be stored: "
            "is it a binary file?"
        )
    if "\ud800" <= ch <= "\udfff":
        return (
            f"It holds a broken character (a lone surrogate, {code}, {where}), "
            "which can't be stored: is the text intact?"
        )
    return f"It holds an invisible control character ({code}, {where}): remove it."


def check_text(
    value: str, *, field: str, limit: Limit | None = None, multiline: bool = False
) -> str:
    """``value`` itself if it passes ``text_problem`` (and ``limit``, when given), else a
    ``ValidationError({field: message})``."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ValidationError({field: problem})
    if limit is not None:
        limit.check(value, field=field)
    return value


# Where a value sits in a JSON document: (".key" or "[i]", where its parent sits).
_Place = tuple[str, Any] | None


def json_text_problem(value: Any, path: str) -> str | None:
    """The first string of a JSON value (keys are one-line, string values long text)
    that fails ``text_problem``, as "<path>: <problem>"; None if none does. Walked with a
    stack, not recursion: JSON nests as deep as its parser allows."""
    # Each entry: the value, and its place as (step, the parent's place), spelt out only
    # for the string that fails (spelling every place would cost depth² characters).
    stack: list[tuple[Any, _Place]] = [(value, None)]

    def spell(place: _Place) -> str:
        steps: list[str] = []
        while place is not None:
            steps.append(place[0])
            place = place[1]
        return path + "".join(reversed(steps))

    while stack:
        current, place = stack.pop()
        if isinstance(current, str):
            if problem := text_problem(current, multiline=True):
                return f"{spell(place)}: {problem}"
        elif isinstance(current, Mapping):
            items = list(current.items())
            for key, _ in items:
                if problem := text_problem(str(key)):
                    return f"a key of {spell(place)}: {problem}"
            stack.extend((item, (f".{key}", place)) for key, item in reversed(items))
        elif isinstance(current, list | tuple):
            stack.extend(
                (item, (f"[{i}]", place)) for i, item in reversed(list(enumerate(current)))
            )
    return None


def json_text_plainly_fine(dumped: str) -> bool:
    """Whether every string of a JSON value (its keys too) certainly passes
    ``text_problem``, told from the value's ``json.dumps(value, ensure_ascii=False)``
    (plain JSON types only: no ``default``) without a walk: it has no backslash (the
    encoder escapes every control character, quote and backslash in a string with one),
    no DEL and no lone surrogate (strict UTF-8 fails on it). False says nothing: walk the
    value (``json_text_problem``). An import's metadata, 1,000 times: a fifth of the walk."""
    if "\\" in dumped or "\x7f" in dumped:
        return False
    if dumped.isascii():
        return True
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json_text(value: Any, *, field: str) -> Any:
    """``value`` itself if every string in it passes ``text_problem``, else a
    ``ValidationError({field: "<path>: <problem>"})``."""
    problem = json_text_problem(value, field)
    if problem is not None:
        raise ValidationError({field: problem})
    return value


def query_problem(params: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first parameter of a query string (a ``QueryDict``) whose name or one of whose
    values fails the one-line ``text_problem``: (name, message). (Its length is bounded
    by the server's request line; the filters cut long search words themselves.)"""
    lists = params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in params.items())
    for name, values in lists:
        for text in (name, *values):
            problem = text_problem(text)
            if problem is not None:
                return name, problem
    return None


class QueryTextMiddleware:
    """Answer 400 to a request whose query string fails ``query_problem``, so that no
    filter (of a page, the API or the admin) takes a NUL to the database.

    It runs as a view is about to be called, after ``LoginRequiredMiddleware``: someone
    not logged in is still sent to log in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        found = query_problem(request.GET)
        if found is None:
            return None
        name, problem = found
        shown = name.encode("unicode_escape", "backslashreplace").decode("ascii")[:40]
        detail = f"The query parameter “{shown}”: {problem}"
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": detail, "code": "invalid", "errors": {shown: [problem]}}, status=400
            )
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
