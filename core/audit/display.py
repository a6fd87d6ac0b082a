"""The audit log as people read it on an object's admin page: a table, newest first."""

import json

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

# Rows an object's page shows; the link under them lists them all.
PANEL_ROWS = 20


def _value(value) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:300] + "…"


def _pairs(old: dict, new: dict, prefix: str = ""):
    """(what, old, new) per leaf: a change set's {video: {field: value}} reads "video · field"."""
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict | None) and isinstance(after, dict | None) and (before or after):
            yield from _pairs(before or {}, after or {}, f"{prefix}{key} · ")
        else:
            yield f"{prefix}{key}", before, after


def _change(what: str, before, after) -> str:
    if before == after:  # e.g. "ours kept": the value stayed; saying x → x would read as a change
        return format_html(
            '<div><strong>{}</strong>: <span class="ytcms-audit-value">{}</span> (kept)</div>',
            what,
            _value(after),
        )
    return format_html(
        '<div><strong>{}</strong>: <span class="ytcms-audit-value">{}</span> → '
        '<span class="ytcms-audit-value">{}</span></div>',
        what,
        _value(before),
        _value(after),
    )


def _changes(event) -> str:
    """Each key's old → new; a row with only new values (a count, a status) shows them."""
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    pairs = list(_pairs(old, new))
    if not pairs:
        return format_html("{}", _value(event.extra) if event.extra else "")
    return format_html_join("", "{}", ((_change(*pair),) for pair in pairs))


def audit_events_html(events, *, object_type: str, object_id, total_shown: int = PANEL_ROWS) -> str:
    """A table of these events (already limited and ordered) and a link to all of the object's."""
    rows = list(events)
    link = format_html(
        '<a href="{}?{}">All events of this {}</a>',
        reverse("admin:audit_auditevent_changelist"),
        urlencode({"object_type": object_type, "object_id": str(object_id)}),
        object_type,
    )
    if not rows:
        return format_html("No event recorded yet. {}", link)
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                event.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                event.get_event_type_display(),
                event.actor,
                _changes(event),
            )
            for event in rows[:total_shown]
        ),
    )
    more = format_html(" (the latest {})", total_shown) if len(rows) >= total_shown else ""
    return format_html(
        '<table class="ytcms-audit-table"><thead><tr><th>when</th><th>what</th><th>who</th>'
        "<th>old → new</th></tr></thead><tbody>{}</tbody></table><p>{}{}</p>",
        body,
        link,
        more,
    )
