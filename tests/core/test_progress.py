"""The one progress bar of long commands."""

from core.progress import progress_bar


def test_the_bar_fills_by_percent_and_clamps():
    assert progress_bar(0) == "[" + "." * 30 + "]"
    assert progress_bar(50) == "[" + "#" * 15 + "." * 15 + "]"
    assert progress_bar(100) == progress_bar(150) == "[" + "#" * 30 + "]"
    assert progress_bar(-5) == progress_bar(0)
    assert progress_bar(34, width=10) == "[###.......]"
