"""``{% audit_result_list cl %}``: ``{% result_list cl %}``, rows built in Python.

The same template (``change_list_results.html``) with the same headers; each
row's cells come from ``audit.admin.result_rows`` as one string when it
covers the list's columns, else from Django's ``items_for_result``.

``{% filter_choices_html choices %}`` writes the ``<li>`` of a list filter's
choices as ``admin/filter.html``'s loop does (``admin/audit/list_filter.html``
is that template with the loop replaced): the event type filter has a link
per catalog type, 80 and more, and the loop was a fifth of the page's
rendering.
"""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_list,
)
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.template.base import render_value_in_context
from django.utils.encoding import iri_to_uri
from django.utils.safestring import SafeData, SafeString, mark_safe

from audit.admin.result_rows import result_rows

register = template.Library()


def audit_result_list(cl) -> dict:
    """``result_list(cl)``'s context, with the rows from ``result_rows``."""
    rows = result_rows(cl)
    if rows is None:
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        # Only an editable list has hidden fields, and it is never covered.
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        # One item per row: the template writes a row's items one after another.
        "results": [ResultList(None, [row]) for row in rows],
    }


@register.tag(name="audit_result_list")
def audit_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=audit_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


CHOICE = '\n    <li{selected}>\n    <a href="{href}">{display}</a></li>\n  '


def _iriencode(value) -> str:
    """``value|iriencode`` (a filter that keeps a safe value safe)."""
    encoded = iri_to_uri(value)
    return mark_safe(encoded) if isinstance(value, SafeData) else encoded  # noqa: S308


@register.simple_tag(takes_context=True)
def filter_choices_html(context, choices) -> SafeString:
    """``admin/filter.html``'s ``{% for choice in choices %}`` loop, in Python."""
    parts = [
        CHOICE.format(
            selected=' class="selected"' if choice["selected"] else "",
            href=render_value_in_context(_iriencode(choice["query_string"]), context),
            display=render_value_in_context(choice["display"], context),
        )
        for choice in choices
    ]
    return mark_safe("".join(parts))  # noqa: S308 (escaped as the template does)
