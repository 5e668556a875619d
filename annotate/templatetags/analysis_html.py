"""The analysis pages' long repeated markup, written here rather than by the template
language, whose every variable costs a lookup (every text is escaped, ``escape``, as the
template would):

* ``{% stance_rows page.object_list cell_url filters.layer %}``: the stance map's table
  rows (``annotate.analysis.stance_map.MapRow``). A page of 50 sources and 5 targets is
  250 cells with a link per stance value, ~10,000 template variables: 80% of the page's
  CPU time (~95 ms at xlarge scale) went into rendering them.
* ``{% source_options sources filters.source %}``: claim search's source filter, an
  option per source of the project (500 at xlarge scale: ~20 ms of CPU in the template).
* ``{% edge_rows edges kind %}``: the network page's table of its 500 strongest edges,
  ~4,500 template variables (bench/RESULTS.md, xl26).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotate.analysis.stance_map import MapRow

register = template.Library()


def _urlencode(value: object) -> str:
    """As the ``urlencode`` filter (``/`` kept), then escaped."""
    return escape(quote(str(value), safe="/"))


def _row(row: MapRow, cell_url: str, layer: str) -> str:
    name = escape(row.name)
    if row.source_id:
        profile = reverse("annotate:source-profile", args=[row.source_id])
        head = f'<a href="{profile}?layer={_urlencode(layer)}">{name}</a>'
    else:
        head = f'<span class="muted">{name}</span>'
    source = row.source_id or "none"
    parts = [f'<tr>\n<th scope="row">{head}</th>']
    for cell in row.cells:
        parts.append(f'<td class="cell" data-source="{source}" data-target="{cell.target_id}">')
        if not cell.total:
            parts.append('<span class="zero" aria-label="none">·</span></td>')
            continue
        about = f"{name} on {escape(cell.target_name)}"
        links = []
        bars = []
        for value, n in cell.counts:
            stance = escape(value)
            if n:
                href = (
                    f"{cell_url}source={source}&amp;target={cell.target_id}"
                    f"&amp;stance={_urlencode(value)}"
                )
                links.append(
                    f'<a class="stance-{stance}" href="{href}"'
                    f' aria-label="{n} {stance}: {about}">{n}</a>'
                )
                bars.append(f'<span class="stance-{stance}" style="flex-grow: {n}"></span>')
            else:
                links.append('<span class="zero">0</span>')
        counts = '<span aria-hidden="true">/</span>'.join(links)
        parts.append(
            f'<span class="counts">{counts}</span>'
            f'<span class="bar" aria-hidden="true">{"".join(bars)}</span></td>'
        )
    parts.append(f'<td class="num">{row.total}</td>\n</tr>')
    return "".join(parts)


@register.simple_tag
def stance_rows(rows: Iterable[MapRow], cell_url: str, layer: str) -> SafeString:
    """The ``<tr>`` of each row: the source (its profile's link, on ``layer``), a cell per
    target (each non-zero count a link to its claims: ``cell_url`` and the cell's
    source, target and stance; a bar of the counts) and the total."""
    url = escape(cell_url)
    # Every text in the rows is escaped above: names, stance values, the URLs.
    return mark_safe("\n".join(_row(row, url, layer) for row in rows))  # noqa: S308


@register.simple_tag
def source_options(sources: Iterable[tuple[int, str]], chosen: str) -> SafeString:
    """An ``<option>`` per (id, name), the one whose id is ``chosen`` selected."""
    options = (
        f'<option value="{pk}"{" selected" if str(pk) == chosen else ""}>{escape(name)}</option>'
        for pk, name in sources
    )
    return mark_safe("".join(options))  # noqa: S308 (the names are escaped)


@register.simple_tag
def edge_rows(edges: Iterable[tuple[Any, str, str, str]], kind: str) -> SafeString:
    """The ``<tr>`` of each (edge, from label, to label, URL of its claims) of the network
    page: the labels, weight and sign, then agree and oppose (actor × actor), nothing
    (carrying) or favor, against and neutral, and the link to the claims."""
    rows = []
    for edge, from_label, to_label, url in edges:
        if kind == "actor-actor":
            more = f'<td class="num">{int(edge.agree)}</td><td class="num">{int(edge.oppose)}</td>'
        elif kind == "carrying":
            more = ""
        else:
            more = (
                f'<td class="num">{int(edge.positive)}</td><td class="num">{int(edge.negative)}'
                f'</td><td class="num">{int(edge.neutral)}</td>'
            )
        href = escape(url)
        rows.append(
            f"<tr>\n<td>{escape(from_label)}</td><td>{escape(to_label)}</td>"
            f'<td class="num">{int(edge.weight)}</td><td class="num">{int(edge.sign)}</td>\n'
            f'{more}\n<td><a href="{href}" hx-get="{href}" hx-target="#edge-claims">claims</a>'
            "</td>\n</tr>"
        )
    # The labels and URLs are escaped, the counts ints.
    return mark_safe("\n".join(rows))  # noqa: S308
