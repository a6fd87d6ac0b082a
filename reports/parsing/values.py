"""Cell text -> typed values, shared by report parsing and the edit sheet.

Each converter takes a non-empty cell and returns the value, or raises BadValue whose message
completes a sentence about the cell: "<column> '<value>' is not ...". The common spelling of
each value is tried first with plain comparisons; only unusual spellings reach the slower paths.
"""

import re
import sys
from datetime import UTC, datetime

# PostgreSQL column ranges of the Video fields the numbers land in.
BIGINT_MAX = 2**63 - 1  # view_count, comment_count (BigIntegerField)
POSITIVE_INT_MAX = 2**31 - 1  # duration_seconds (PositiveIntegerField)

# Model max_length values: a longer value would fail the database write, so it is a row error here.
TITLE_DB_MAX_CHARS = 255  # Video.title (YouTube itself allows 100: videos#snippet.title)
POLICY_DB_MAX_CHARS = 255  # Video.effective_policy
CLAIM_ID_DB_MAX_CHARS = 64  # Claim.id
ASSET_ID_DB_MAX_CHARS = 64  # Asset.id
ORIGIN_DB_MAX_CHARS = 64  # Claim.origin
CUSTOM_ID_DB_MAX_CHARS = 255  # Asset.custom_id, Video.custom_id
LANGUAGE_DB_MAX_CHARS = 35  # Video.default_language

PRIVACY_STATUSES = frozenset({"public", "unlisted", "private"})  # videos#status.privacyStatus

# videoCategories.list(regionCode=US), docs/youtube.md#video-categories. Ids are the same in every region;
# which ones are assignable is region dependent and checked by videos/validation.py, not here.
CATEGORY_NAMES = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "18": "Short Movies",
    "19": "Travel & Events",
    "20": "Gaming",
    "21": "Videoblogging",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
    "30": "Movies",
    "31": "Anime/Animation",
    "32": "Action/Adventure",
    "33": "Classics",
    "34": "Comedy",
    "35": "Documentary",
    "36": "Drama",
    "37": "Family",
    "38": "Foreign",
    "39": "Horror",
    "40": "Sci-Fi/Fantasy",
    "41": "Thriller",
    "42": "Shorts",
    "43": "Shows",
    "44": "Trailers",
}
CATEGORY_IDS = frozenset(CATEGORY_NAMES)


def _category_key(name: str) -> str:
    return " ".join(name.lower().replace(" and ", " & ").replace("how-to", "howto").split())


# "Comedy" is both 23 (assignable) and 34 (not): the name means the assignable one.
CATEGORY_IDS_BY_NAME = {_category_key(n): i for i, n in reversed(list(CATEGORY_NAMES.items()))}


class BadValue(ValueError):
    """A cell that does not hold a value of its column's type; the message is a predicate."""


_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_BOOLEANS_AS_WRITTEN = {
    **_BOOLEANS,
    **{k.upper(): v for k, v in _BOOLEANS.items()},
    **{k.capitalize(): v for k, v in _BOOLEANS.items()},
}


def parse_bool(value: str) -> bool:
    try:
        return _BOOLEANS_AS_WRITTEN[value]
    except KeyError:
        pass
    result = _BOOLEANS.get(value.strip().lower())
    if result is None:
        raise BadValue("is not a yes/no value (True/False, Yes/No or 1/0)")
    return result


def is_video_id(value: str) -> bool:
    """videos#id: 11 characters of A-Z a-z 0-9 _ -."""
    return len(value) == 11 and value.isascii() and value.replace("-", "A").replace("_", "A").isalnum()


def is_channel_id(value: str) -> bool:
    """channels#id: UC followed by 22 characters of A-Z a-z 0-9 _ -."""
    return (
        len(value) == 24
        and value.startswith("UC")
        and value.isascii()
        and value[2:].replace("-", "A").replace("_", "A").isalnum()
    )


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+", re.ASCII)


def parse_count(value: str) -> int:
    """A view or comment count: digits, optionally with commas grouping thousands."""
    if value.isdigit() and value.isascii():
        number = int(value)
    else:
        text = value.strip()
        if text.isdigit() and text.isascii():
            number = int(text)
        elif _THOUSANDS.fullmatch(text):
            # "1,234" comes from spreadsheets that format numbers; commas must group by three.
            number = int(text.replace(",", ""))
        elif text[:1] == "-" and text[1:].isdigit():
            raise BadValue("is negative; it must be 0 or more")
        else:
            raise BadValue("is not a whole number")
    if number > BIGINT_MAX:
        raise BadValue(f"is larger than {BIGINT_MAX:,}")
    return number


_ISO_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.ASCII)
_DURATION_HELP = "is not a duration (whole seconds, ISO 8601 like PT4M13S, or H:MM:SS / M:SS)"


def parse_seconds(value: str) -> int:
    """A video length: whole seconds (reports), ISO 8601 PT#H#M#S or H:MM:SS / M:SS (the seed layout)."""
    if value.isdigit() and value.isascii():
        seconds = int(value)
    else:
        text = value.strip()
        if text.isdigit() and text.isascii():
            seconds = int(text)
        elif text[:1] in ("P", "p"):
            match = _ISO_DURATION.fullmatch(text.upper())
            if match is None or not any(match.groups()):
                raise BadValue(_DURATION_HELP)
            weeks, days, hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
            seconds = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + secs
        elif ":" in text:
            parts = text.split(":")
            if not (
                2 <= len(parts) <= 3
                and all(p.isdigit() and p.isascii() for p in parts)
                and all(len(p) == 2 and int(p) < 60 for p in parts[1:])
            ):
                raise BadValue(_DURATION_HELP)
            seconds = 0
            for part in parts:
                seconds = seconds * 60 + int(part)
        else:
            raise BadValue(_DURATION_HELP)
    if seconds > POSITIVE_INT_MAX:
        raise BadValue(f"is longer than {POSITIVE_INT_MAX:,} seconds")
    return seconds


_TIME_HELP = (
    "is not a valid date and time (YYYY/MM/DD HH:MM:SS in UTC, or ISO 8601 like 2024-03-01T12:34:56Z)"
)


def parse_time(value: str) -> datetime:
    """`YYYY/MM/DD HH:MM:SS` (UTC, the Reporting API), ISO 8601 with Z/offset, or a date alone; aware, in UTC."""
    v = value
    if len(v) == 19 and v[4] == "/" and v[7] == "/" and v[10] == " " and v[13] == ":" and v[16] == ":":
        # fromisoformat checks every digit and range, and is ten times faster than building
        # datetime(..., tzinfo=UTC) from int() pieces.
        try:
            return datetime.fromisoformat(v.replace("/", "-") + "+00:00")
        except ValueError:
            raise BadValue(_TIME_HELP) from None
    return _parse_time_other(v.strip())


def _parse_time_other(v: str) -> datetime:
    if len(v) < 10 or not (v[4] == v[7] and v[4] in "/-"):
        raise BadValue(_TIME_HELP)
    if v[4] == "/":
        if len(v) == 10:  # a date alone: midnight UTC
            v = v + " 00:00:00"
        elif len(v) == 16:
            v = v + ":00"
        if len(v) != 19 or v[10] != " ":
            raise BadValue(_TIME_HELP)
        v = v.replace("/", "-") + "+00:00"
    # Only the extended ISO form (with dashes) reaches fromisoformat, which would also take
    # basic forms such as "20240301".
    try:
        parsed = datetime.fromisoformat(v)
    except ValueError as exc:
        detail = str(exc)
        reason = f" ({detail})" if len(detail) < 40 else ""
        raise BadValue(_TIME_HELP + reason) from None
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise BadValue("is out of the supported date range") from None


def parse_privacy(value: str) -> str:
    if value in PRIVACY_STATUSES:
        return value
    text = value.strip().lower()
    if text in PRIVACY_STATUSES:
        return text
    raise BadValue("is not public, unlisted or private")


def parse_category_id(value: str) -> str:
    """A category id, as the Reporting API and Studio reports write it ("category is a video category ID")."""
    if value in CATEGORY_IDS:
        return value
    text = value.strip()
    if text.isdigit() and text.isascii():
        text = str(int(text))
        if text in CATEGORY_IDS:
            return text
        raise BadValue("is not a YouTube video category id")
    raise BadValue("is not a category id (a number such as 10 for Music)")


def parse_category(value: str) -> str:
    """A category name as the seed layout writes it ("Travel & Events"), or an id; returns the id."""
    category_id = CATEGORY_IDS_BY_NAME.get(_category_key(value))
    if category_id is not None:
        return category_id
    try:
        return parse_category_id(value)
    except BadValue:
        raise BadValue("is not a YouTube video category name or id") from None


_CLAIMED_STATUSES = {
    "claimed": "claimed",
    "claimed by this owner": "claimed",
    "yes": "claimed",
    "not claimed": "unclaimed",
    "unclaimed": "unclaimed",
    "no": "unclaimed",
    "claimed by others": "others",
    "claimed by other owners": "others",
    "claimed by another owner": "others",
    "others": "others",
}


def parse_claimed_status(value: str) -> str:
    """The seed layout's "Claimed status" text -> Video.claimed_status."""
    status = _CLAIMED_STATUSES.get(" ".join(value.lower().replace("_", " ").split()))
    if status is None:
        raise BadValue("is not a claimed status (Claimed, Not claimed or Claimed by others)")
    return status


# Content ID contentType values are audio, video and audiovisual (claims resource). Reports
# write them capitalised, and the Reporting API writes "Visual" for the video-only portion.
_CONTENT_TYPES = {
    "audio": "audio",
    "video": "video",
    "visual": "video",
    "audiovisual": "audiovisual",
    "audio_visual": "audiovisual",
}


def parse_content_type(value: str) -> str:
    content_type = _CONTENT_TYPES.get(value.strip().lower().replace(" ", "_").replace("-", "_"))
    if content_type is None:
        raise BadValue("is not a claim content type (Audio, Visual or Audiovisual)")
    return content_type


def parse_list(value: str) -> list[str]:
    """A |-separated list (tags, artists, genres); blank items are dropped."""
    return [item for item in (part.strip() for part in value.split("|")) if item]


def parse_isrc(value: str) -> str:
    """An ISRC (ISO 3901), hyphens and spaces removed and upper-cased: CC XXX YY NNNNN."""
    isrc = value.replace("-", "").replace(" ", "").upper()
    if (
        len(isrc) == 12
        and isrc.isascii()
        and isrc[:2].isalpha()
        and isrc[2:5].isalnum()
        and isrc[5:].isdigit()
    ):
        return isrc
    raise BadValue("is not an ISRC (12 characters like USRC17607839)")


def max_chars(limit: int, what: str = "characters"):
    """A converter keeping text as it is, refusing text longer than `limit`."""

    def text(value: str) -> str:
        if len(value) > limit:
            raise BadValue(f"is longer than {limit} {what}")
        return value

    text.max_chars = limit
    return text


def keep_text(value: str) -> str:
    return value


keep_text.max_chars = sys.maxsize
# Plain digits this long always fit the column, so ReportReader can int() them inline.
parse_count.max_digits = len(str(BIGINT_MAX)) - 1
parse_seconds.max_digits = len(str(POSITIVE_INT_MAX)) - 1


# The spellings reports actually write, per converter: ReportReader tries a dict lookup first
# and calls the converter only for other spellings (a lookup costs a fraction of a call).
EXACT_SPELLINGS = {
    parse_bool: _BOOLEANS_AS_WRITTEN,
    parse_privacy: {status: status for status in PRIVACY_STATUSES},
    parse_category_id: {category_id: category_id for category_id in CATEGORY_IDS},
    parse_content_type: {
        **_CONTENT_TYPES,
        **{key.capitalize(): content_type for key, content_type in _CONTENT_TYPES.items()},
    },
}
