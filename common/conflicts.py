"""A write that conflicts with the rows as they are: nothing was written, and the row that
conflicts travels with the exception.

The services of every app raise these (or kinds of them); the API's exception handler
(``config/api_errors.py``) answers each with a 409 holding that row, as the serializer
registered for its model shows it (``represent``, called where the serializers are defined).
The handler thus knows no app, and ``corpus`` can use it without importing ``annotate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.urls import reverse
from django.utils.module_loading import import_string

if TYPE_CHECKING:  # DRF is imported by the serializers, when a conflict is shown
    from rest_framework.serializers import BaseSerializer


class StaleVersion[M: Model](Exception):
    """The row changed since the version the writer based the change on; ``current`` is it
    as it is now (the writer reapplies the change to it). One kind for every versioned row
    (claims, sources): the message names the row's model and its version now, unless the
    writer says more (``message``)."""

    def __init__(self, current: M, message: str | None = None) -> None:
        if message is None:
            message = (
                f"This {current._meta.verbose_name} was changed elsewhere (now version "
                f"{getattr(current, 'version', '?')}); reload it and apply your change again."
            )
        super().__init__(message)
        self.current = current


class Duplicate(ValidationError):
    """The write would repeat a row that exists (a double-submitted form, a retried
    request); ``existing`` is that row."""

    def __init__(self, message: str, existing: Model, *, code: str) -> None:
        super().__init__(message, code=code)
        self.existing = existing


_SHOWN: dict[type[Model], tuple[type[BaseSerializer[Any]] | str, str | None]] = {}


def represent(
    model: type[Model], serializer: type[BaseSerializer[Any]] | str, url: str | None = None
) -> None:
    """Show ``model``'s rows in conflict answers with ``serializer`` (the class, or its
    dotted path: imported when a conflict is first shown, so that a process that never
    shows one, ``manage.py export``, never imports DRF); ``url`` names the URL of one row
    (given its pk), for the answer to a ``Duplicate``."""
    _SHOWN[model] = (serializer, url)


def _shown(row: Model) -> tuple[type[BaseSerializer[Any]], str | None]:
    for model in type(row).__mro__:
        if model in _SHOWN:
            serializer, url = _SHOWN[model]
            if isinstance(serializer, str):
                serializer = import_string(serializer)
                _SHOWN[model] = (serializer, url)
            return serializer, url
    raise LookupError(f"No serializer for {type(row).__name__}: call common.conflicts.represent")


def representation(row: Model) -> Any:
    """``row`` as the API shows it."""
    serializer, _ = _shown(row)
    return serializer(row).data


def address(row: Model) -> str | None:
    """The API URL of ``row``, if its model has one registered."""
    _, url = _shown(row)
    return reverse(url, args=[row.pk]) if url else None
