"""Video categories the emulator serves by default.

US snapshot (docs/youtube.md#video-categories; repo aaleali22/youtube_statistics ``US_category_id.json``, the
Kaggle trending data set; an identical newer response is in the code index). Other regions can be seeded.
"""

# Every category belongs to YouTube's own channel.
CATEGORY_CHANNEL_ID = "UCBR8-60-B28hp2BmDPdntcQ"

# (id, title, assignable)
US_CATEGORIES = [
    ("1", "Film & Animation", True),
    ("2", "Autos & Vehicles", True),
    ("10", "Music", True),
    ("15", "Pets & Animals", True),
    ("17", "Sports", True),
    ("18", "Short Movies", False),
    ("19", "Travel & Events", True),
    ("20", "Gaming", True),
    ("21", "Videoblogging", False),
    ("22", "People & Blogs", True),
    ("23", "Comedy", True),
    ("24", "Entertainment", True),
    ("25", "News & Politics", True),
    ("26", "Howto & Style", True),
    ("27", "Education", True),
    ("28", "Science & Technology", True),
    ("29", "Nonprofits & Activism", True),
    ("30", "Movies", False),
    ("31", "Anime/Animation", False),
    ("32", "Action/Adventure", False),
    ("33", "Classics", False),
    ("34", "Comedy", False),
    ("35", "Documentary", False),
    ("36", "Drama", False),
    ("37", "Family", False),
    ("38", "Foreign", False),
    ("39", "Horror", False),
    ("40", "Sci-Fi/Fantasy", False),
    ("41", "Thriller", False),
    ("42", "Shorts", False),
    ("43", "Shows", False),
    ("44", "Trailers", False),
]


def default_categories() -> dict[str, list[dict]]:
    """Region code → category rows ``{"id", "title", "assignable"}``."""
    return {
        "US": [
            {"id": cid, "title": title, "assignable": assignable} for cid, title, assignable in US_CATEGORIES
        ]
    }
