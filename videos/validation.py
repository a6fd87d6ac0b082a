"""YouTube's metadata limits, in one module the admin, the API and every import call.

Each check returns `Violation`s that name the field, the rule, and the offending value's measure,
so a user sees "description is 5,012 bytes; YouTube allows 5,000" rather than "invalid".
Only the fields passed in are checked: an edit of one field is not refused because of another.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

TITLE_MIN_CHARS = 1  # videos#snippet.title: required when snippet is updated
TITLE_MAX_CHARS = 100  # videos#snippet.title
DESCRIPTION_MAX_BYTES = 5000  # videos#snippet.description, counted in UTF-8 bytes
TAGS_MAX_CHARS = 500  # videos#snippet.tags[]: commas count; a tag with a space counts 2 more
TAG_FORBIDDEN_CHARS = "<>"
FORBIDDEN_CHARS = "<>"  # videos#snippet.title / description: "all valid UTF-8 except < and >"
PRIVACY_STATUSES = ("public", "unlisted", "private")  # videos#status.privacyStatus
LICENSES = ("youtube", "creativeCommon")  # videos#status.license
# Our own metadata: not YouTube limits, bounds that keep lists and exports sane.
ARTISTS_MAX_COUNT = 50
ARTIST_MAX_CHARS = 200
GENRES_MAX_COUNT = 20
GENRE_MAX_CHARS = 100
# The text fields a bulk find/replace edits: their limit and the unit YouTube counts it in.
TEXT_LIMITS = {"title": (TITLE_MAX_CHARS, "characters"), "description": (DESCRIPTION_MAX_BYTES, "bytes")}
# Matched with fullmatch: `$` alone also accepts a trailing newline, and `\d` accepts non-ASCII digits.
ISRC_PATTERN = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")  # ISO 3901, hyphens removed
# BCP-47-ish language tag as YouTube accepts in snippet.defaultLanguage and localizations keys.
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


# Free text a person types: line endings are normalised wherever it enters (see normalise_line_endings).
LINE_ENDING_FIELDS = ("title", "description", "notes")
# How tags are written wherever a person types them as one text (the admin form, the edit sheet).
TAG_SEPARATOR = ","


def normalise_line_endings(text):
    """CRLF and lone CR become LF; anything that is not text is returned as it is.

    Browsers submit a textarea's line breaks as CRLF (HTML's form submission rule), spreadsheets
    may write either, and YouTube keeps descriptions with LF (what videos.list returns). Without
    this, a save that touched another field compared "a\r\nb" with YouTube's "a\nb" and recorded
    an unchanged description as a pending change, and a description was measured one byte too
    long per line break.
    """
    if isinstance(text, str) and "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_tags(text: str) -> list[str]:
    """Tags as a person writes them in one text: comma-separated, blanks around them ignored.

    The one tag syntax of the admin form, the bulk edit and the edit sheet; YouTube Studio
    separates tags with commas too, so a tag never holds one.
    """
    return [tag.strip() for tag in normalise_line_endings(text).split(TAG_SEPARATOR) if tag.strip()]


def join_tags(tags: Iterable[str]) -> str:
    """Tags written as split_tags reads them."""
    return f"{TAG_SEPARATOR} ".join(tags)


def normalise_tags(tags):
    """A list of tags as every door stores it: each stripped, and an item holding commas split, as
    the form would split it (a tag "one, two" sent to the API is two tags, not one that a later
    admin save of another field would split)."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return tags  # validate_tags says what is wrong
    normalised = []
    for tag in tags:
        if TAG_SEPARATOR in tag:
            normalised += split_tags(tag)
        else:
            normalised.append(normalise_line_endings(tag).strip())
    return normalised


def normalise_video_texts(values: Mapping) -> dict:
    """`values` (field -> wanted value) with its texts as YouTube stores them: line endings LF in
    the title, description, notes and localized texts, tags as normalise_tags makes them.

    Called by every door before comparing or measuring, so that a value that differs from the
    stored one only in its line endings is no change at all.
    """
    normalised = dict(values)
    for name in LINE_ENDING_FIELDS:
        if name in normalised:
            normalised[name] = normalise_line_endings(normalised[name])
    if "tags" in normalised:
        normalised["tags"] = normalise_tags(normalised["tags"])
    localizations = normalised.get("localizations")
    if isinstance(localizations, Mapping):
        normalised["localizations"] = {
            language: (
                {name: normalise_line_endings(text) for name, text in texts.items()}
                if isinstance(texts, Mapping)
                else texts
            )
            for language, texts in localizations.items()
        }
    return normalised


@dataclass(frozen=True)
class Violation:
    field: str
    code: str
    message: str

    def __str__(self):
        return self.message


def tags_length(tags: Iterable[str]) -> int:
    """Count tags as YouTube does: commas between tags count, a tag with a space is quoted."""
    tags = list(tags)
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(len(tags) - 1, 0)


def _count(number: int) -> str:
    return f"{number:,}"


def _is_utf8(text: str) -> bool:
    # JSON lets a client send a lone surrogate ("\ud800"); it is no UTF-8 character, and
    # encoding it later (byte count, database, Google) would raise instead of refusing it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_violations(field: str, label: str, value) -> list[Violation]:
    if not isinstance(value, str):
        return [Violation(field, "invalid_type", f"{label} must be text.")]
    if not _is_utf8(value):
        return [Violation(field, "invalid_characters", f"{label} is not valid UTF-8 text.")]
    bad = sorted({char for char in value if char in FORBIDDEN_CHARS})
    if bad:
        return [
            Violation(
                field,
                "forbidden_characters",
                f"{label} contains {' and '.join(repr(c) for c in bad)}; YouTube does not allow < or >.",
            )
        ]
    return []


def text_measure(target: str, text: str) -> int:
    """The size of `text` as YouTube measures `target` (title: characters, description: UTF-8 bytes)."""
    return len(text) if TEXT_LIMITS[target][1] == "characters" else len(text.encode("utf-8"))


def validate_text_measure(target: str, measure: int, *, field: str = "", label: str = "") -> list[Violation]:
    """The too-long rule of a title or description whose size (text_measure) is known."""
    limit, unit = TEXT_LIMITS[target]
    if measure > limit:
        return [
            Violation(
                field or target,
                "too_long",
                f"{label or target} is {_count(measure)} {unit}; YouTube allows {_count(limit)}.",
            )
        ]
    return []


def validate_title(value, *, field="title", label="title") -> list[Violation]:
    problems = _text_violations(field, label, value)
    if problems:
        return problems
    length = len(value)
    if length < TITLE_MIN_CHARS or not value.strip():
        return [Violation(field, "required", f"{label} is empty; YouTube requires a title.")]
    return validate_text_measure("title", length, field=field, label=label)


def validate_description(value, *, field="description", label="description") -> list[Violation]:
    problems = _text_violations(field, label, value)
    if problems:
        return problems
    return validate_text_measure("description", text_measure("description", value), field=field, label=label)


def validate_tags(value) -> list[Violation]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        return [Violation("tags", "invalid_type", "tags must be a list of text values.")]
    if not all(_is_utf8(tag) for tag in value):
        return [Violation("tags", "invalid_characters", "tags contains text that is not valid UTF-8.")]
    problems = []
    if any(not tag.strip() for tag in value):
        problems.append(Violation("tags", "empty_tag", "tags contains an empty tag."))
    bad = [tag for tag in value if any(char in TAG_FORBIDDEN_CHARS for char in tag)]
    if bad:
        problems.append(
            Violation(
                "tags",
                "forbidden_characters",
                f"tag {bad[0]!r} contains < or >; YouTube does not allow them.",
            )
        )
    length = tags_length(value)
    if length > TAGS_MAX_CHARS:
        problems.append(
            Violation(
                "tags",
                "too_long",
                f"tags are {_count(length)} characters as YouTube counts them "
                f"(commas included, tags with spaces quoted); YouTube allows {TAGS_MAX_CHARS}.",
            )
        )
    return problems


def _validate_name_list(field, value, max_count, max_chars) -> list[Violation]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [Violation(field, "invalid_type", f"{field} must be a list of text values.")]
    problems = []
    if len(value) > max_count:
        problems.append(
            Violation(field, "too_many", f"{field} has {len(value)} entries; at most {max_count}.")
        )
    for item in value:
        if not item.strip():
            problems.append(Violation(field, "empty_item", f"{field} contains an empty entry."))
            break
        if len(item) > max_chars:
            problems.append(
                Violation(
                    field,
                    "too_long",
                    f"{field} entry {item[:20]!r}… is {len(item)} characters; at most {max_chars}.",
                )
            )
            break
    return problems


def _validate_language(field, value) -> list[Violation]:
    if value and not (isinstance(value, str) and LANGUAGE_PATTERN.fullmatch(value)):
        return [Violation(field, "invalid_language", f"{field} {value!r} is not a language code.")]
    return []


def validate_localizations(value) -> list[Violation]:
    if not isinstance(value, Mapping):
        return [Violation("localizations", "invalid_type", "localizations must map languages to texts.")]
    problems = []
    for language, texts in value.items():
        problems += _validate_language("localizations", language)
        if not isinstance(texts, Mapping) or set(texts) - {"title", "description"}:
            problems.append(
                Violation(
                    "localizations",
                    "invalid_type",
                    f"localization {language!r} must have only a title and a description.",
                )
            )
            continue
        if "title" in texts:
            problems += validate_title(texts["title"], field="localizations", label=f"{language} title")
        if "description" in texts:
            problems += validate_description(
                texts["description"], field="localizations", label=f"{language} description"
            )
    return problems


def validate_video_metadata(
    values: Mapping, *, assignable_category_ids: Iterable[str] | None = None
) -> list[Violation]:
    """Check the given fields of a video against YouTube's limits.

    `values` maps model field names to wanted values. Cross-field rules (publish_at needs private,
    localizations need a default language) apply when either side is present in `values`.
    """
    problems: list[Violation] = []
    if "title" in values:
        problems += validate_title(values["title"])
    if "description" in values:
        problems += validate_description(values["description"])
    if "tags" in values:
        problems += validate_tags(values["tags"])
    if "category_id" in values and assignable_category_ids is not None:
        allowed = set(assignable_category_ids)
        category = str(values["category_id"] or "")
        if category not in allowed:
            problems.append(
                Violation(
                    "category_id",
                    "not_assignable",
                    f"category {category or '(none)'} cannot be set on a video; "
                    f"assignable ids are {', '.join(sorted(allowed, key=int))}.",
                )
            )
    if "privacy_status" in values and values["privacy_status"] not in PRIVACY_STATUSES:
        problems.append(
            Violation(
                "privacy_status",
                "invalid_choice",
                f"privacy {values['privacy_status']!r} is not one of {', '.join(PRIVACY_STATUSES)}.",
            )
        )
    if "license" in values and values["license"] not in LICENSES:
        problems.append(
            Violation(
                "license",
                "invalid_choice",
                f"license {values['license']!r} is not one of {', '.join(LICENSES)}.",
            )
        )
    if values.get("publish_at") is not None:
        if not isinstance(values["publish_at"], datetime):
            problems.append(Violation("publish_at", "invalid_type", "publish_at must be a time."))
        elif values.get("privacy_status", "private") != "private":
            problems.append(
                Violation(
                    "publish_at",
                    "requires_private",
                    "publish_at can only be set on a private video; YouTube makes it public then.",
                )
            )
    if "default_language" in values:
        problems += _validate_language("default_language", values["default_language"])
    if "localizations" in values:
        problems += validate_localizations(values["localizations"])
        if values["localizations"] and not values.get("default_language"):
            problems.append(
                Violation(
                    "localizations",
                    "default_language_not_set",
                    "localizations need a default language (YouTube: defaultLanguageNotSet).",
                )
            )
    if "artists" in values:
        problems += _validate_name_list("artists", values["artists"], ARTISTS_MAX_COUNT, ARTIST_MAX_CHARS)
    if "genres" in values:
        problems += _validate_name_list("genres", values["genres"], GENRES_MAX_COUNT, GENRE_MAX_CHARS)
    isrc = values.get("isrc")
    if isrc and not (isinstance(isrc, str) and ISRC_PATTERN.fullmatch(isrc)):
        problems.append(
            Violation(
                "isrc",
                "invalid_isrc",
                f"ISRC {values['isrc']!r} is not 12 characters like USRC17607839.",
            )
        )
    return problems


def _longer_than_target(field: str, text: str, target: str) -> list[Violation]:
    if not _is_utf8(text):
        return [Violation(field, "invalid_characters", f"{field} is not valid UTF-8 text.")]
    limit, unit = TEXT_LIMITS[target]
    measure = text_measure(target, text)
    if measure > limit:
        return [
            Violation(
                field,
                "too_long",
                f"{field} is {_count(measure)} {unit}; a {target} holds at most {_count(limit)}.",
            )
        ]
    return []


def validate_bulk_edit_texts(
    *,
    find: str,
    replace: str,
    find_in: Iterable[str],
    add_tags: Iterable[str],
    remove_tags: Iterable[str],
    artists: Iterable[str] | None,
    genres: Iterable[str] | None,
) -> list[Violation]:
    """Check a bulk edit's own texts once, before any video is read.

    Each must fit the field it goes into: find and replace the largest field searched (the
    description when it is searched, else the title; a longer find matches nothing, a longer
    replace breaks the limit wherever it lands), tags YouTube's tag budget, artists and genres
    their list limits. Violations name the edit's own fields (find, add_tags...). This bounds the
    work a preview does: without it one request of a large replace multiplied across 10,000
    videos built hundreds of megabytes.
    """
    problems: list[Violation] = []
    find_in = list(find_in)
    target = "description" if "description" in find_in else "title"
    for name, text in (("find", find), ("replace", replace)):
        if text:
            problems += _longer_than_target(name, text, target)
    for name, tags in (("add_tags", add_tags), ("remove_tags", remove_tags)):
        tags = list(tags)
        if not all(_is_utf8(tag) for tag in tags):
            problems.append(Violation(name, "invalid_characters", f"{name} is not valid UTF-8 text."))
            continue
        length = tags_length(tags)
        if length > TAGS_MAX_CHARS:
            problems.append(
                Violation(
                    name,
                    "too_long",
                    f"{name} are {_count(length)} characters as YouTube counts tags "
                    f"(commas included, tags with spaces quoted); a video holds at most {TAGS_MAX_CHARS}.",
                )
            )
    if artists is not None:
        problems += _validate_name_list("artists", list(artists), ARTISTS_MAX_COUNT, ARTIST_MAX_CHARS)
    if genres is not None:
        problems += _validate_name_list("genres", list(genres), GENRES_MAX_COUNT, GENRE_MAX_CHARS)
    return problems
