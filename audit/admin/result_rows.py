"""A changelist's result rows as HTML, built in Python, as Django's admin writes them.

Django's ``result_list`` tag builds each cell through ``items_for_result``:
per cell a ``lookup_field``, a ``display_for_field`` and two ``format_html``,
and per link an ``add_preserved_filters`` that parses the URL, resolves it
against the URLconf and re-encodes the query: most of the event list's
rendering at 50 rows of six columns. ``result_rows`` writes the same markup
byte for byte (tests/audit/test_admin_result_rows.py compares both on hostile
values, with and without filters): it decides once per page how each column
is shown, builds the change URL and its preserved filters once, and escapes
every value as ``format_html`` does.

It covers the columns the read-only lists use (text and date-time model
fields, admin methods and model attributes) and returns None for anything
else (choices, booleans, relations, editable lists, popups), which then goes
through Django's own ``items_for_result``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as _html_escape

from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_value, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils import dateformat, timezone
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

_PK = "__pk__"


def _escape(value) -> str:
    """``conditional_escape``, with plain strings (nearly every cell) first."""
    if type(value) is str:
        return _html_escape(value)
    return conditional_escape(value)


@dataclass(frozen=True)
class _Column:
    """How one ``list_display`` entry is read and shown, decided once a page."""

    read: Callable[[object], object]
    show: Callable[[object], object]
    opening: str  # '<th class="field-NAME' or '<td class="field-NAME'
    link: bool
    closing: str
    nowrap: bool  # a date or time field: "nowrap" is in ``opening`` already


def _text_field_show(empty):
    def show(value):
        if value in models.Field.empty_values:
            return empty
        return value if type(value) is str else display_for_value(value, empty)

    return show


def _datetime_field_show(empty):
    # ``localize`` of a datetime, with the format looked up once a page.
    datetime_format = get_format("DATETIME_FORMAT")

    def show(value):
        if value in models.Field.empty_values:
            return empty
        local = timezone.template_localtime(value)
        if not isinstance(local, datetime.datetime):
            return localize(local)
        return dateformat.format(local, datetime_format)

    return show


def _value_show(empty):
    def show(value):
        if type(value) is str:
            return value or empty
        return display_for_value(value, empty)

    return show


def _stripped(read):
    """``items_for_result`` shows a value of only whitespace as an empty one."""

    def read_stripped(result):
        value = read(result)
        if isinstance(value, str) and not value.strip():
            return ""
        return value

    return read_stripped


def _column(cl, field_name, empty) -> tuple[Callable, Callable, list[str]] | None:
    """``(read, show, classes)`` for one column, or None if it is not covered."""
    if callable(field_name) or field_name == "__str__":
        return None
    classes = [f"field-{field_name}"]
    try:
        field = cl.lookup_opts.get_field(field_name)
    except FieldDoesNotExist:
        field = None
    if field is not None:
        if getattr(field, "flatchoices", None) or field.is_relation:
            return None
        if isinstance(field, models.DateTimeField):
            show = _datetime_field_show(empty)
            classes.append("nowrap")
        elif isinstance(field, (models.CharField, models.TextField)) and not isinstance(
            field, models.URLField
        ):
            show = _text_field_show(empty)
        else:
            return None
        attname = field.attname

        def read(result, name=attname):
            return getattr(result, name)

        return _stripped(read), show, classes
    model_admin = cl.model_admin
    if hasattr(model_admin, field_name):
        method = getattr(model_admin, field_name)
        if getattr(method, "boolean", False):
            return None
        empty = getattr(method, "empty_value_display", empty)
        return _stripped(method), _value_show(empty), classes
    attr = getattr(cl.model, field_name, None)
    if isinstance(attr, property) and not getattr(attr.fget, "boolean", False):

        def read_attr(result, name=field_name):
            return getattr(result, name)

        return _stripped(read_attr), _value_show(empty), classes
    return None


def _link_parts(cl) -> tuple[str, str] | None:
    """The change URL with its preserved filters, split where the row's key goes."""
    try:
        parts = getattr(cl, "change_url_parts", None)
    except NoReverseMatch:
        return None
    if parts is None:
        return None
    url = _PK.join(parts)
    url = add_preserved_filters(
        {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
    )
    if url.count(_PK) != 1:
        return None
    head, tail = url.split(_PK)
    return head, tail


def _columns(cl) -> list[_Column] | None:
    empty = cl.model_admin.get_empty_value_display()
    links = cl.list_display_links
    columns = []
    first = True
    for field_name in cl.list_display:
        found = _column(cl, field_name, empty)
        if found is None:
            return None
        read, show, classes = found
        if links is None:
            link = False
        elif first and not links:
            link = True
        else:
            link = field_name in links
        attrib = " ".join(classes)
        nowrap = "nowrap" in classes
        if link:
            tag = "th" if first else "td"
            first = False
            opening, closing = f'<{tag} class="{attrib}', f"</a></{tag}>"
        else:
            opening, closing = f'<td class="{attrib}', "</td>"
        columns.append(_Column(read, show, opening, link, closing, nowrap))
    return columns


def result_rows(cl) -> list[SafeString] | None:
    """Each result's cells (the inside of its ``<tr>``), or None if not covered.

    Not covered: editable lists, popups, a ``to_field``, and columns other
    than text or date-time model fields, admin methods and model properties.
    """
    if cl.formset or cl.is_popup or cl.to_field:
        return None
    columns = _columns(cl)
    if columns is None:
        return None
    head = tail = ""
    if any(column.link for column in columns):
        parts = _link_parts(cl)
        if parts is None:
            return None
        head, tail = parts
    pk_attname = cl.lookup_opts.pk.attname
    rows = []
    for result in cl.result_list:
        href = None
        cells = []
        for column in columns:
            value = column.read(result)
            shown = _escape(column.show(value))
            # A date or time from an admin method is "nowrap" too.
            nowrap = (
                ' nowrap"'
                if not column.nowrap
                and isinstance(value, (datetime.date, datetime.time))
                else '"'
            )
            if column.link:
                if href is None:
                    key = quote(getattr(result, pk_attname))
                    href = _html_escape(f"{head}{key}{tail}")
                cells.append(
                    f'{column.opening}{nowrap}><a href="{href}">{shown}{column.closing}'
                )
            else:
                cells.append(f"{column.opening}{nowrap}>{shown}{column.closing}")
        rows.append(mark_safe("".join(cells)))  # noqa: S308 (every value escaped)
    return rows
