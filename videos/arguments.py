"""Video ids on a management command's line: the one place commands read them.

A video id may start with "-" (videos#id is 11 characters of A-Z, a-z, 0-9, "_" and "-"), which
argparse takes for an option unless it is attached with "=": `--video=-AbCdEfGhIj`. So every
command that takes video ids accepts them repeated (`--video A --video B`), several per flag
(`--video A B`, `--video=A,B`) and from a file or stdin (`--videos-file ids.txt`, `--videos-file -`),
where ids are separated by whitespace or commas.
"""

import argparse
import re
import sys

from django.core.management.base import CommandError

from core.text import listed
from videos.selectors import VIDEO_ID_PATTERN

# Neither a comma nor whitespace is in a video id's alphabet.
SEPARATORS = re.compile(r"[\s,]+")
VIDEO_ID_HELP = "11 characters of A-Z, a-z, 0-9, _ and -"


ID_WITH_A_DASH = "an id starting with '-' is attached with '=': --video=-AbCdEfGhIj"


class VideoIdsAction(argparse.Action):
    """--video's ids, added to those of earlier flags; a flag without one says how to write a '-' id.

    argparse takes `--video -4jwUQsoLVs` for the flag followed by an option, so the flag gets no
    value; with nargs="+" argparse answered only "expected at least one argument".
    """

    def __call__(self, parser, namespace, values, option_string=None):
        if not values:
            raise argparse.ArgumentError(self, f"expected at least one video id ({ID_WITH_A_DASH})")
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), *values])


def add_video_id_arguments(parser) -> None:
    """--video and --videos-file, both repeatable."""
    parser.add_argument(
        "--video",
        action=VideoIdsAction,
        nargs="*",
        default=[],
        metavar="ID",
        help=(
            "Video ids (repeatable; several per flag, space- or comma-separated). An id starting "
            "with '-' must be attached with '=': --video=-AbCdEfGhIj."
        ),
    )
    parser.add_argument(
        "--videos-file",
        action="append",
        default=[],
        metavar="PATH",
        help="A file of video ids separated by whitespace or commas ('-' reads stdin; repeatable).",
    )


def video_ids_from_options(options: dict) -> list[str]:
    """The ids of --video and --videos-file, in order, each once; CommandError names any bad one."""
    texts = list(options.get("video") or [])
    for path in options.get("videos_file") or []:
        texts.append(_read(path))
    ids = [word for text in texts for word in SEPARATORS.split(text) if word]
    bad = [word for word in ids if not VIDEO_ID_PATTERN.fullmatch(word)]
    if bad:
        shown = listed((repr(word) for word in bad), limit=5)
        raise CommandError(f"Not a video id ({VIDEO_ID_HELP}): {shown}.")
    return list(dict.fromkeys(ids))


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None
