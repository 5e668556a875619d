"""``{{ moment|when }}``: how long ago, said sensibly — "just now" under a minute (never
"0 minutes ago"), "5 minutes ago", … and the date itself after a week — inside a ``<time>``
whose tooltip gives the exact time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)
RECENT = timedelta(days=7)
EXACT = "%Y-%m-%d %H:%M %Z"


def said(moment: datetime, now: datetime | None = None) -> str:
    now = now or timezone.now()
    age = now - moment
    if age < JUST_NOW:
        return "just now"
    if age < RECENT:
        return f"{timesince(moment, now, depth=1)} ago"
    return f"on {timezone.localtime(moment):%d %b %Y}"


@register.filter
def when(moment: datetime | None) -> SafeString | str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        local.strftime(EXACT),
        said(moment),
    )
