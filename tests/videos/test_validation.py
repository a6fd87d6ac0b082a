"""YouTube's metadata limits (docs/youtube.md#metadata-limits), tested at their exact boundaries."""

from datetime import UTC, datetime

import pytest

from videos.selectors import assignable_category_ids
from videos.validation import tags_length, validate_video_metadata

# "€" is 3 UTF-8 bytes and "é" 2: both descriptions below are 1,667 characters, so only the
# byte count can tell them apart.
DESCRIPTION_OF_5000_BYTES = "€" * 1666 + "é"
DESCRIPTION_OF_5001_BYTES = "€" * 1667

# Three tags of 166 characters and the two commas between them: 500.
TAGS_OF_500 = ["a" * 166, "b" * 166, "c" * 166]
# Three tags of 164 characters with a space, each counted with 2 quotes, and two commas: 500.
SPACED_TAGS_OF_500 = ["a" * 81 + " " + "a" * 82, "b" * 81 + " " + "b" * 82, "c" * 81 + " " + "c" * 82]

PUBLISH_AT = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def only_violation(values, **kwargs):
    violations = validate_video_metadata(values, **kwargs)
    assert len(violations) == 1, violations
    return violations[0]


@pytest.fixture
def us_assignable(db):
    return assignable_category_ids(region_code="US")


# ---- Title: 1 to 100 characters, no < or >


def test_title_of_100_characters_is_accepted():
    assert validate_video_metadata({"title": "x" * 100}) == []


def test_title_of_101_characters_is_too_long():
    violation = only_violation({"title": "x" * 101})
    assert violation.field == "title"
    assert violation.code == "too_long"
    assert violation.message == "title is 101 characters; YouTube allows 100."


def test_title_of_100_multibyte_characters_is_accepted():
    # 300 UTF-8 bytes: the title limit counts characters, not bytes.
    assert validate_video_metadata({"title": "東" * 100}) == []


def test_title_of_101_multibyte_characters_is_too_long():
    violation = only_violation({"title": "東" * 101})
    assert violation.message == "title is 101 characters; YouTube allows 100."


def test_empty_title_is_refused():
    violation = only_violation({"title": ""})
    assert violation.field == "title"
    assert violation.code == "required"


def test_whitespace_only_title_is_refused():
    violation = only_violation({"title": " \t\n "})
    assert violation.field == "title"
    assert violation.code == "required"


def test_title_with_less_than_sign_is_refused():
    violation = only_violation({"title": "a < b"})
    assert violation.field == "title"
    assert violation.code == "forbidden_characters"
    assert "'<'" in violation.message


def test_title_with_greater_than_sign_is_refused():
    violation = only_violation({"title": "a > b"})
    assert violation.field == "title"
    assert violation.code == "forbidden_characters"
    assert "'>'" in violation.message


def test_title_that_is_not_text_is_refused():
    violation = only_violation({"title": None})
    assert violation.field == "title"
    assert violation.code == "invalid_type"


def test_title_with_lone_surrogate_is_refused_not_crashing():
    # json.loads('"\\ud800"') yields a lone surrogate: not UTF-8, so YouTube cannot take it.
    violation = only_violation({"title": "song \ud800"})
    assert violation.field == "title"
    assert violation.code == "invalid_characters"


# ---- Description: at most 5000 UTF-8 bytes, no < or >


def test_description_of_5000_bytes_of_multibyte_text_is_accepted():
    assert len(DESCRIPTION_OF_5000_BYTES.encode("utf-8")) == 5000
    assert validate_video_metadata({"description": DESCRIPTION_OF_5000_BYTES}) == []


def test_description_of_5001_bytes_of_multibyte_text_is_too_long():
    assert len(DESCRIPTION_OF_5001_BYTES) == len(DESCRIPTION_OF_5000_BYTES)
    violation = only_violation({"description": DESCRIPTION_OF_5001_BYTES})
    assert violation.field == "description"
    assert violation.code == "too_long"
    assert violation.message == "description is 5,001 bytes; YouTube allows 5,000."


def test_description_of_5000_ascii_characters_is_accepted():
    assert validate_video_metadata({"description": "x" * 5000}) == []


def test_empty_description_is_accepted():
    assert validate_video_metadata({"description": ""}) == []


def test_description_with_less_than_sign_is_refused():
    violation = only_violation({"description": "x <3 y"})
    assert violation.field == "description"
    assert violation.code == "forbidden_characters"


def test_description_with_greater_than_sign_is_refused():
    violation = only_violation({"description": "see -> there"})
    assert violation.field == "description"
    assert violation.code == "forbidden_characters"


def test_description_with_lone_surrogate_is_refused_not_crashing():
    violation = only_violation({"description": "notes \udfff"})
    assert violation.field == "description"
    assert violation.code == "invalid_characters"


# ---- Tags: 500 characters as YouTube counts them


def test_tags_length_counts_the_comma_between_tags():
    assert tags_length(["a", "b"]) == 3


def test_tags_length_counts_quotes_around_a_tag_with_a_space():
    assert tags_length(["Foo Baz"]) == 9


def test_tags_length_adds_nothing_for_a_tag_without_a_space():
    assert tags_length(["Foo-Baz"]) == 7


def test_tags_length_of_no_tags_is_zero():
    assert tags_length([]) == 0


def test_tags_of_exactly_500_without_spaces_are_accepted():
    assert tags_length(TAGS_OF_500) == 500
    assert validate_video_metadata({"tags": TAGS_OF_500}) == []


def test_tags_of_501_without_spaces_are_too_long():
    tags = [*TAGS_OF_500[:2], "c" * 167]
    assert tags_length(tags) == 501
    violation = only_violation({"tags": tags})
    assert violation.field == "tags"
    assert violation.code == "too_long"
    assert violation.message.startswith("tags are 501 characters as YouTube counts them")
    assert "YouTube allows 500" in violation.message


def test_tags_with_spaces_of_exactly_500_counting_quotes_are_accepted():
    assert sum(len(tag) for tag in SPACED_TAGS_OF_500) + 2 == 494
    assert tags_length(SPACED_TAGS_OF_500) == 500
    assert validate_video_metadata({"tags": SPACED_TAGS_OF_500}) == []


def test_tags_with_spaces_of_501_counting_quotes_are_too_long():
    tags = [*SPACED_TAGS_OF_500[:2], SPACED_TAGS_OF_500[2] + "c"]
    assert tags_length(tags) == 501
    violation = only_violation({"tags": tags})
    assert violation.field == "tags"
    assert violation.message.startswith("tags are 501 characters")


def test_tag_with_angle_bracket_is_refused():
    violation = only_violation({"tags": ["fine", "<script>"]})
    assert violation.field == "tags"
    assert violation.code == "forbidden_characters"
    assert "'<script>'" in violation.message


def test_empty_tag_is_refused():
    violation = only_violation({"tags": ["music", " "]})
    assert violation.field == "tags"
    assert violation.code == "empty_tag"


def test_tags_that_are_not_a_list_of_text_are_refused():
    violation = only_violation({"tags": "music,live"})
    assert violation.field == "tags"
    assert violation.code == "invalid_type"


def test_no_tags_are_accepted():
    assert validate_video_metadata({"tags": []}) == []


# ---- Category: only ids videoCategories.list marks assignable


def test_us_assignable_categories_are_those_of_videocategories_list(us_assignable):
    assert us_assignable == {
        "1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29",
    }  # fmt: skip


def test_assignable_category_is_accepted(us_assignable):
    assert validate_video_metadata({"category_id": "10"}, assignable_category_ids=us_assignable) == []


def test_category_given_as_number_is_compared_as_its_id(us_assignable):
    assert validate_video_metadata({"category_id": 10}, assignable_category_ids=us_assignable) == []


def test_short_movies_category_18_is_not_assignable(us_assignable):
    violation = only_violation({"category_id": "18"}, assignable_category_ids=us_assignable)
    assert violation.field == "category_id"
    assert violation.code == "not_assignable"
    assert violation.message.startswith("category 18 cannot be set on a video")
    assert "1, 2, 10, 15" in violation.message


@pytest.mark.parametrize("category_id", [str(number) for number in range(30, 45)])
def test_categories_30_and_above_are_not_assignable(us_assignable, category_id):
    violation = only_violation({"category_id": category_id}, assignable_category_ids=us_assignable)
    assert violation.code == "not_assignable"


def test_missing_category_is_not_assignable(us_assignable):
    violation = only_violation({"category_id": ""}, assignable_category_ids=us_assignable)
    assert violation.message.startswith("category (none) cannot be set")


def test_category_is_not_checked_without_an_assignable_set():
    assert validate_video_metadata({"category_id": "18"}) == []


# ---- Privacy and license enums


@pytest.mark.parametrize("privacy", ["public", "unlisted", "private"])
def test_youtube_privacy_statuses_are_accepted(privacy):
    assert validate_video_metadata({"privacy_status": privacy}) == []


@pytest.mark.parametrize("privacy", ["Public", "draft", "", None])
def test_other_privacy_statuses_are_refused(privacy):
    violation = only_violation({"privacy_status": privacy})
    assert violation.field == "privacy_status"
    assert violation.code == "invalid_choice"
    assert "public, unlisted, private" in violation.message


@pytest.mark.parametrize("license_", ["youtube", "creativeCommon"])
def test_youtube_licenses_are_accepted(license_):
    assert validate_video_metadata({"license": license_}) == []


@pytest.mark.parametrize("license_", ["creativecommon", "cc-by", ""])
def test_other_licenses_are_refused(license_):
    violation = only_violation({"license": license_})
    assert violation.field == "license"
    assert violation.code == "invalid_choice"
    assert "youtube, creativeCommon" in violation.message


# ---- publish_at: scheduled publishing only on private videos


def test_publish_at_on_private_video_is_accepted():
    assert validate_video_metadata({"publish_at": PUBLISH_AT, "privacy_status": "private"}) == []


@pytest.mark.parametrize("privacy", ["public", "unlisted"])
def test_publish_at_on_non_private_video_is_refused(privacy):
    violation = only_violation({"publish_at": PUBLISH_AT, "privacy_status": privacy})
    assert violation.field == "publish_at"
    assert violation.code == "requires_private"


def test_no_publish_at_on_public_video_is_accepted():
    assert validate_video_metadata({"publish_at": None, "privacy_status": "public"}) == []


def test_publish_at_that_is_not_a_time_is_refused():
    violation = only_violation({"publish_at": "2030-01-01", "privacy_status": "private"})
    assert violation.field == "publish_at"
    assert violation.code == "invalid_type"


# ---- Localizations: need a default language; each text obeys the same limits


def test_localizations_with_default_language_are_accepted():
    values = {
        "default_language": "en",
        "localizations": {
            "fr": {"title": "Chanson", "description": "À propos"},
            "pt-BR": {"title": "Canção"},
        },
    }
    assert validate_video_metadata(values) == []


def test_localizations_without_default_language_are_refused():
    violation = only_violation({"localizations": {"fr": {"title": "Chanson"}}})
    assert violation.field == "localizations"
    assert violation.code == "default_language_not_set"


def test_empty_localizations_need_no_default_language():
    assert validate_video_metadata({"localizations": {}}) == []


def test_localized_title_of_100_characters_is_accepted():
    values = {"default_language": "en", "localizations": {"ja": {"title": "東" * 100}}}
    assert validate_video_metadata(values) == []


def test_localized_title_of_101_characters_is_too_long():
    violation = only_violation({"default_language": "en", "localizations": {"ja": {"title": "東" * 101}}})
    assert violation.field == "localizations"
    assert violation.code == "too_long"
    assert violation.message == "ja title is 101 characters; YouTube allows 100."


def test_localized_title_that_is_blank_is_refused():
    violation = only_violation({"default_language": "en", "localizations": {"fr": {"title": "  "}}})
    assert violation.field == "localizations"
    assert violation.code == "required"


def test_localized_description_of_5000_bytes_is_accepted():
    values = {"default_language": "en", "localizations": {"fr": {"description": DESCRIPTION_OF_5000_BYTES}}}
    assert validate_video_metadata(values) == []


def test_localized_description_of_5001_bytes_is_too_long():
    violation = only_violation(
        {"default_language": "en", "localizations": {"fr": {"description": DESCRIPTION_OF_5001_BYTES}}}
    )
    assert violation.field == "localizations"
    assert violation.message == "fr description is 5,001 bytes; YouTube allows 5,000."


def test_localized_description_with_angle_bracket_is_refused():
    violation = only_violation({"default_language": "en", "localizations": {"de": {"description": "a>b"}}})
    assert violation.field == "localizations"
    assert violation.code == "forbidden_characters"
    assert violation.message.startswith("de description contains '>'")


def test_localization_keyed_by_something_not_a_language_is_refused():
    violation = only_violation({"default_language": "en", "localizations": {"French": {"title": "Chanson"}}})
    assert violation.field == "localizations"
    assert violation.code == "invalid_language"


def test_localization_with_other_keys_than_title_and_description_is_refused():
    violation = only_violation({"default_language": "en", "localizations": {"fr": {"tags": ["x"]}}})
    assert violation.field == "localizations"
    assert violation.code == "invalid_type"


def test_default_language_with_trailing_newline_is_refused():
    violation = only_violation({"default_language": "en\n"})
    assert violation.field == "default_language"
    assert violation.code == "invalid_language"


# ---- Artists and genres: our own bounds


def test_50_artists_are_accepted():
    assert validate_video_metadata({"artists": [f"Artist {n}" for n in range(50)]}) == []


def test_51_artists_are_too_many():
    violation = only_violation({"artists": [f"Artist {n}" for n in range(51)]})
    assert violation.field == "artists"
    assert violation.code == "too_many"
    assert violation.message == "artists has 51 entries; at most 50."


def test_artist_of_200_characters_is_accepted():
    assert validate_video_metadata({"artists": ["é" * 200]}) == []


def test_artist_of_201_characters_is_too_long():
    violation = only_violation({"artists": ["é" * 201]})
    assert violation.field == "artists"
    assert violation.code == "too_long"
    assert "is 201 characters; at most 200" in violation.message


def test_blank_artist_is_refused():
    violation = only_violation({"artists": ["Someone", ""]})
    assert violation.field == "artists"
    assert violation.code == "empty_item"


def test_20_genres_are_accepted():
    assert validate_video_metadata({"genres": [f"Genre {n}" for n in range(20)]}) == []


def test_21_genres_are_too_many():
    violation = only_violation({"genres": [f"Genre {n}" for n in range(21)]})
    assert violation.field == "genres"
    assert violation.message == "genres has 21 entries; at most 20."


def test_genre_of_100_characters_is_accepted():
    assert validate_video_metadata({"genres": ["g" * 100]}) == []


def test_genre_of_101_characters_is_too_long():
    violation = only_violation({"genres": ["g" * 101]})
    assert violation.field == "genres"
    assert "is 101 characters; at most 100" in violation.message


def test_genres_that_are_not_a_list_are_refused():
    violation = only_violation({"genres": "Rock"})
    assert violation.field == "genres"
    assert violation.code == "invalid_type"


# ---- ISRC: ISO 3901, normalised (no hyphens, upper case) before validation


def test_isrc_of_twelve_characters_is_accepted():
    assert validate_video_metadata({"isrc": "USRC17607839"}) == []


def test_empty_isrc_is_accepted():
    assert validate_video_metadata({"isrc": ""}) == []


@pytest.mark.parametrize(
    "isrc",
    [
        "USRC1760783",  # 11 characters
        "USRC176078390",  # 13 characters
        "US-RC1-76-07839",  # hyphens are removed by the services before validation
        "usrc17607839",  # so is lower case
        "U1RC17607839",  # country code must be letters
        "USRC1760783X",  # designation must be digits
    ],
)
def test_isrc_not_matching_iso_3901_is_refused(isrc):
    violation = only_violation({"isrc": isrc})
    assert violation.field == "isrc"
    assert violation.code == "invalid_isrc"
    assert repr(isrc) in violation.message


def test_isrc_with_trailing_newline_is_refused():
    assert only_violation({"isrc": "USRC17607839\n"}).code == "invalid_isrc"


def test_isrc_with_non_ascii_digits_is_refused():
    assert only_violation({"isrc": "USRC1760783٩"}).code == "invalid_isrc"


# ---- Only the fields passed are checked


def test_only_tags_given_does_not_ask_for_a_title():
    assert validate_video_metadata({"tags": ["music"]}) == []


def test_nothing_given_is_valid():
    assert validate_video_metadata({}) == []


def test_each_broken_field_gets_its_own_violation():
    violations = validate_video_metadata({"title": "", "description": "<", "license": "gpl"})
    assert [violation.field for violation in violations] == ["title", "description", "license"]
