"""Accent-insensitive search: `title__unaccent__icontains="canon"` finds "Cañón" on both engines.

Both engines call one SQL function, ytcms_unaccent(text):
- PostgreSQL: an IMMUTABLE wrapper around the unaccent extension (videos migration 0008).
  unaccent() itself is only STABLE (its dictionary could change), so no index may be built on it;
  the wrapper can be indexed (UPPER(ytcms_unaccent(title)) gin_trgm_ops), and the planner folds
  it on the searched word before planning, so the trigram index sees a constant pattern.
- SQLite: fold_accents, registered on every new connection (videos.apps).

The transform is bilateral: the searched word is folded by the same function as the column, so
both sides agree on what "accent" means (ß, æ, ø included on PostgreSQL).
"""

import unicodedata

from django.db.models import Transform

SQL_FUNCTION = "ytcms_unaccent"

# Letters that carry no combining mark in Unicode but that unaccent's rules fold all the same.
LETTERS_WITHOUT_MARKS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


def fold_accents(text: str | None) -> str | None:
    """Text without its accents ("Cañón" -> "Canon"); SQLite's ytcms_unaccent."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(LETTERS_WITHOUT_MARKS))
    # Recomposed afterwards so that what has no accent (Hangul syllables, say) is left as it was.
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


class Unaccent(Transform):
    """`<field>__unaccent`: the column and the searched value, both without accents."""

    bilateral = True
    lookup_name = "unaccent"
    function = SQL_FUNCTION


def register_sqlite_unaccent(sender, connection, **kwargs) -> None:
    """connection_created receiver: give a new SQLite connection its ytcms_unaccent function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQL_FUNCTION, 1, fold_accents, deterministic=True)
