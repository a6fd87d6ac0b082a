"""The progress bar long commands draw on a terminal (import_report, youtube_push)."""

BAR_WIDTH = 30


def progress_bar(percent: int, *, width: int = BAR_WIDTH) -> str:
    """ "[#########.....................]" for a percentage; out-of-range values are clamped."""
    filled = width * min(max(percent, 0), 100) // 100
    return f"[{'#' * filled}{'.' * (width - filled)}]"
