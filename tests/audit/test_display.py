"""How an audit row reads on an object's page: per video and field, line breaks kept, a kept value said so."""

from types import SimpleNamespace

from core.audit.display import _changes


def event(old, new, extra=None):
    return SimpleNamespace(old=old, new=new, extra=extra)


def test_a_change_sets_rows_read_per_video_and_field():
    shown = _changes(
        event({"a1song00001": {"description": None}}, {"a1song00001": {"description": "Line one\nLine two"}})
    )
    assert "<strong>a1song00001 · description</strong>" in shown
    assert '<span class="ytcms-audit-value">Line one\nLine two</span>' in shown
    assert "\\n" not in shown  # not JSON: the line break is a line break


def test_a_value_kept_is_not_shown_as_a_change():
    shown = _changes(event({"title": "Ours"}, {"title": "Ours"}))
    assert "(kept)" in shown and "→" not in shown


def test_a_plain_change_reads_old_then_new():
    shown = _changes(event({"status": "draft"}, {"status": "queued"}))
    assert "<strong>status</strong>" in shown and shown.index("draft") < shown.index("→") < shown.index(
        "queued"
    )
