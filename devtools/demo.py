"""The demo catalogue behind `manage.py load_demo`: Northwind Records, a made-up label.

The first half generates the catalogue as plain data and is pure: the same seed and video count
always give the same ids and values. The one exception is on purpose: `publish_at` of scheduled
videos is counted in days from `today`, so they stay scheduled whenever the demo is loaded.
The second half loads it the way a real catalogue arrives: the owner's channels, policies and
assets first, then a Reporting API "Daily video metadata" (a4) report of the videos and their
active claims, written to a CSV file and imported by the report pipeline (reports.services, the
same code as an uploaded report), then what a report does not carry, as a read of the YouTube
APIs would bring it (descriptions, tags, licences, localizations, claims that are not active,
our own metadata), and finally the pending edits. It also creates the demo users.

Everything generated stays inside YouTube's limits as videos.validation checks them.
"""

import csv
import os
import secrets
import string
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import reset_queries, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from channels_app.models import Channel, ContentOwner, Membership, Role
from channels_app.services import membership_save
from videos.models import Asset, Claim, Policy, Video
from videos.services import video_apply_remote_state, video_refresh_derived
from videos.validation import (
    DESCRIPTION_MAX_BYTES,
    TAGS_MAX_CHARS,
    TITLE_MAX_CHARS,
    tags_length,
)

DEMO_OWNER_ID = "demo-label"
DEMO_OWNER_NAME = "Northwind Records"
DEMO_MANAGER_USERNAME = "demo-manager"
DEMO_VIEWER_USERNAME = "demo-viewer"
# Created by channels_app/migrations/0002_role_groups.py.
RIGHTS_MANAGER_GROUP = "Rights manager"
VIEWER_GROUP = "Viewer"

# Fixed, not "now": the catalogue must come out the same whatever day it is loaded.
CATALOGUE_START = datetime(2008, 1, 1, tzinfo=UTC)
CATALOGUE_END = datetime(2026, 10, 31, tzinfo=UTC)
SHORTS_START = datetime(2021, 7, 13, tzinfo=UTC)  # YouTube Shorts launched worldwide
PENDING_SHARE = 0.05  # about one video in twenty has a wanted change YouTube does not have yet
BATCH_SIZE = 1000

_URL_SAFE = string.ascii_letters + string.digits + "-_"
# The last character of a video id carries only 4 bits, the last of a channel id 2 bits, so real
# ids end in one of these; the demo ids look like real ones.
_VIDEO_ID_LAST = "AEIMQUYcgkosw048"
_CHANNEL_ID_LAST = "AQgw"

# ------------------------------------------------------------------------------ plain data


@dataclass(frozen=True)
class DemoChannel:
    id: str
    title: str
    description: str
    country: str
    published_at: datetime
    subscriber_count: int


@dataclass(frozen=True)
class DemoPolicy:
    id: str
    name: str
    description: str
    rules: list
    restrictiveness: int  # when claims conflict, the most restrictive policy applies


@dataclass(frozen=True)
class DemoAsset:
    id: str
    asset_type: str
    title: str
    isrc: str
    custom_id: str
    metadata: dict


@dataclass(frozen=True)
class DemoClaim:
    id: str
    asset_id: str
    content_type: str
    policy_id: str
    status: str
    origin: str
    is_partner_uploaded: bool = True


@dataclass
class DemoVideo:
    id: str
    channel_id: str
    # What YouTube has: writable fields (they become the snapshot) and read-only ones.
    remote: dict
    etag: str
    artists: list[str]
    genres: list[str]
    isrc: str
    custom_id: str
    notes: str
    # Wanted values that differ from `remote`: the video's pending changes.
    pending_changes: dict
    # Assets first claimed on this video (insert them before its claims), and its claims.
    new_assets: list[DemoAsset] = field(default_factory=list)
    claims: list[DemoClaim] = field(default_factory=list)


@dataclass
class DemoCatalogue:
    owner_id: str
    owner_name: str
    channels: list[DemoChannel]
    policies: list[DemoPolicy]
    video_count: int
    videos: Iterator[DemoVideo]  # lazy: a big catalogue streams instead of sitting in memory


# ------------------------------------------------------------------------------ the label


@dataclass(frozen=True)
class _Artist:
    name: str
    language: str  # default_language of their uploads
    genres: tuple[str, ...]
    songs: tuple[str, ...]
    albums: tuple[str, ...]
    weight: float
    for_kids: bool = False


@dataclass(frozen=True)
class _ChannelPlan:
    title: str
    handle: str
    country: str
    started: datetime
    weight: float
    isrc_prefix: str  # country code + registrant code
    custom_id_prefix: str
    description: str
    artists: tuple[_Artist, ...]
    kinds: dict  # video kind -> weight


_SONG_KINDS = {
    "official": 20, "lyric": 11, "audio": 18, "visualizer": 5, "live": 5, "acoustic": 4,
    "remix": 4, "short": 8, "behind": 5, "interview": 4, "tutorial": 3, "tour": 3,
    "animated": 1, "van": 1, "pets": 1, "sports": 1, "gaming": 1, "comedy": 1, "news": 1,
    "studio": 1, "charity": 1,
}  # fmt: skip
_LIVE_KINDS = {
    "live": 40, "acoustic": 15, "cover": 18, "interview": 8, "behind": 6, "tour": 5, "short": 4,
    "sports": 1, "charity": 2, "news": 1,
}  # fmt: skip

_EN_SONGS = (
    "Harbor Lights", "Paper Hearts", "Golden Hour", "Northern Line", "Summer Rain", "Glass City",
    "Wildfire", "Slow Dancing in the Kitchen", "Satellite", "Echoes", "Neon Tides", "Silver Morning",
    "Letters I Never Sent", "Highway 9", "Quiet Storm", "Electric Blue", "Salt & Honey",
    "Midnight Ferry", "Ghost Town Radio", "Sunday Best", "Afterglow", "Fault Lines",
)  # fmt: skip
_ES_SONGS = (
    "Corazón de Cristal", "Canción del Mar", "Mañana Será Otro Día", "Noche de Luna",
    "Camino Sin Final", "Bésame Otra Vez", "Días de Sol", "Alma Gitana", "Río Dorado",
    "¿Qué Será de Nosotros?", "Niña de Papel", "Señales", "Cumbia del Olvido", "Ojalá",
    "Perreo en la Azotea", "Última Canción",
)  # fmt: skip
_JA_SONGS = (
    "夜明けのメロディ", "東京の雨", "桜の季節", "君に届け", "星空ドライブ", "さよならの向こう側",
    "青い約束", "真夏の夢", "風になる", "ひかり", "花火", "シティ・ナイト", "恋するカセット",
)  # fmt: skip

_CHANNEL_PLANS = (
    _ChannelPlan(
        title="Northwind Records",
        handle="NorthwindRecords",
        country="US",
        started=datetime(2007, 9, 14, 16, 2, 11, tzinfo=UTC),
        weight=0.41,
        isrc_prefix="USNW1",
        custom_id_prefix="NWR",
        description=(
            "The official YouTube channel of Northwind Records, an independent label from Portland, "
            "Oregon. Music videos, lyric videos and sessions from our artists.\n\n"
            "Business enquiries: hello@northwind-records.example"
        ),
        artists=(
            _Artist("The Harbor Lights", "en", ("Indie Rock", "Alternative"), _EN_SONGS, ("Low Tide", "Lantern Season", "North of Here"), 5),
            _Artist("Maya Reyes", "en", ("Pop",), _EN_SONGS, ("Glass City", "Bloom"), 6),
            _Artist("DJ Kestrel", "en", ("Electronic", "House"), _EN_SONGS, ("Night Shift", "Circuits"), 3),
            _Artist("Ezra Cole", "en", ("Folk", "Singer-Songwriter"), _EN_SONGS, ("Pine & Paper",), 3),
            _Artist("Jada Monroe", "en", ("R&B", "Soul"), _EN_SONGS, ("Velvet", "Sunday Best"), 4),
            _Artist("Velvet Static", "en", ("Alternative", "Shoegaze"), _EN_SONGS, ("Hum",), 2),
            _Artist(
                "Little Lantern", "en", ("Children's Music",),
                ("Brush Your Teeth Song", "The Sleepy Moon", "Five Little Ducks Went Dancing", "Counting Stars 1 to 10", "Rainbow Colors Song"),
                ("Songs for Little Ones",), 2, for_kids=True,
            ),
        ),
        kinds=_SONG_KINDS,
    ),
    _ChannelPlan(
        title="Northwind Latino",
        handle="NorthwindLatino",
        country="MX",
        started=datetime(2011, 3, 2, 19, 40, 5, tzinfo=UTC),
        weight=0.23,
        isrc_prefix="MXNW2",
        custom_id_prefix="NWL",
        description=(
            "Música latina de Northwind Records: pop, regional mexicano, reguetón y baladas. "
            "¡Suscríbete y activa la campanita! 🔔"
        ),
        artists=(
            _Artist("Lucía Peñalver", "es", ("Pop Latino",), _ES_SONGS, ("Corazón de Cristal", "Señales"), 5),
            _Artist("Los Añejos de Jalisco", "es-419", ("Regional Mexicano", "Mariachi"), _ES_SONGS, ("Tierra Mía",), 3),
            _Artist("DJ Cañón", "es-419", ("Reggaeton", "Urbano"), _ES_SONGS, ("Azotea", "Bajo Cero"), 4),
            _Artist("Sofía Ibáñez", "es", ("Balada", "Pop"), _ES_SONGS, ("Ojalá",), 3),
        ),
        kinds=_SONG_KINDS,
    ),
    _ChannelPlan(
        title="Northwind Live Sessions",
        handle="NorthwindLive",
        country="GB",
        started=datetime(2013, 6, 21, 9, 15, 0, tzinfo=UTC),
        weight=0.16,
        isrc_prefix="GBNW3",
        custom_id_prefix="NWS",
        description=(
            "Live sessions recorded in our London studio and on the road. "
            "New sessions every Thursday."
        ),
        artists=(
            _Artist("Amelia Hart", "en-GB", ("Indie Pop",), _EN_SONGS, ("Kite Weather",), 4),
            _Artist("Brixton Social Club", "en-GB", ("Indie Rock",), _EN_SONGS, ("Night Bus Anthems",), 3),
            _Artist("The Harbor Lights", "en", ("Indie Rock", "Alternative"), _EN_SONGS, ("Live in London",), 2),
            _Artist("Chloé Dubois", "fr", ("Chanson", "Pop"), ("Café de Flore", "Les Étoiles", "Été Indien", "Où es-tu ?"), ("Été",), 2),
        ),
        kinds=_LIVE_KINDS,
    ),
    _ChannelPlan(
        title="北風レコード Northwind Japan",
        handle="NorthwindJapan",
        country="JP",
        started=datetime(2014, 4, 1, 3, 0, 0, tzinfo=UTC),
        weight=0.12,
        isrc_prefix="JPNW4",
        custom_id_prefix="NWJ",
        description=(
            "北風レコード公式YouTubeチャンネル。J-POP、シティポップ、ロックの最新ミュージックビデオをお届けします。"
        ),
        artists=(
            _Artist("ひなた", "ja", ("J-Pop",), _JA_SONGS, ("ひだまり", "青い約束"), 5),
            _Artist("ミッドナイト・トレイン", "ja", ("J-Rock",), _JA_SONGS, ("終電",), 3),
            _Artist("KOHAKU", "ja", ("City Pop",), _JA_SONGS, ("Tokyo Lights", "琥珀"), 3),
        ),
        kinds=_SONG_KINDS,
    ),
    _ChannelPlan(
        title="Northwind World",
        handle="NorthwindWorld",
        country="DE",
        started=datetime(2016, 10, 12, 12, 30, 0, tzinfo=UTC),
        weight=0.08,
        isrc_prefix="DENW5",
        custom_id_prefix="NWW",
        description="Northwind Records around the world: K-pop, Arabic pop, and music from Eastern Europe.",
        artists=(
            _Artist(
                "한별 (Hanbyeol)", "ko", ("K-Pop",),
                ("밤하늘의 별", "너에게로", "봄날의 기억", "첫사랑", "다시 만나", "서울의 밤"), ("STARLIGHT",), 4,
            ),
            _Artist(
                "ليلى حداد", "ar", ("Arabic Pop",),
                ("ليالي القاهرة", "يا قمر", "نسيم الصباح", "على شط البحر", "حلم"), ("قمر",), 3,
            ),
            _Artist(
                "Алина Воронова", "ru", ("Pop",),
                ("Белые ночи", "Ветер перемен", "Не уходи", "Город огней", "Летний дождь"), ("Белые ночи",), 3,
            ),
            _Artist(
                "Гурт Ластівка", "uk", ("Folk Rock",),
                ("Вишневий сад", "Ластівко", "Місто весни", "Їжачок у тумані"), ("Весна",), 2,
            ),
        ),
        kinds=_SONG_KINDS,
    ),
)  # fmt: skip

# Policy names as rights managers know them; restrictiveness orders them when claims conflict.
_POLICIES = (
    ("Monetize in all countries", 0, [{"action": "monetize"}]),
    (
        "Monetize in US; Track elsewhere",
        1,
        [
            {
                "action": "monetize",
                "conditions": {"requiredTerritories": {"type": "include", "territories": ["US"]}},
            },
            {
                "action": "track",
                "conditions": {"requiredTerritories": {"type": "exclude", "territories": ["US"]}},
            },
        ],
    ),
    ("Track in all countries", 2, [{"action": "track"}]),
    ("Block in all countries", 3, [{"action": "block"}]),
)
_PRIMARY_POLICY_WEIGHTS = (70, 12, 14, 4)
_SECONDARY_POLICY_WEIGHTS = (60, 5, 30, 5)

# Video kinds: the YouTube categories they go in and how long they run.
_SONG_BASED = {"official", "lyric", "audio", "visualizer", "live", "acoustic", "remix", "short"}
_NEW_RECORDING = {"live", "acoustic", "remix"}  # a new recording, with its own ISRC
_KIND_CATEGORIES = {
    "official": ("10",), "lyric": ("10",), "audio": ("10",), "visualizer": ("10",), "live": ("10",),
    "acoustic": ("10",), "remix": ("10",), "short": ("10", "10", "24"), "cover": ("10",),
    "behind": ("24",), "interview": ("22", "24"), "tutorial": ("27", "26"), "tour": ("19",),
    "animated": ("1",), "van": ("2",), "pets": ("15",), "sports": ("17",), "gaming": ("20",),
    "comedy": ("23",), "news": ("25",), "studio": ("28",), "charity": ("29",),
}  # fmt: skip
_KIND_SECONDS = {
    "official": (170, 330), "lyric": (150, 300), "audio": (140, 300), "visualizer": (150, 300),
    "live": (200, 720), "acoustic": (150, 320), "remix": (180, 420), "short": (12, 59),
    "cover": (160, 330), "behind": (240, 900), "interview": (300, 1800), "tutorial": (420, 1500),
    "tour": (240, 1200),
}  # fmt: skip
_OTHER_SECONDS = (60, 900)
# Median views of a public video of each kind, before its age is counted.
_KIND_VIEWS = {
    "official": 250_000, "lyric": 80_000, "audio": 15_000, "visualizer": 12_000, "live": 30_000,
    "acoustic": 20_000, "remix": 18_000, "short": 60_000, "cover": 25_000,
}  # fmt: skip
_OTHER_VIEWS = 6_000

_TITLES = {
    "official": {
        "en": "{artist} - {song} (Official Music Video)", "es": "{artist} - {song} (Video Oficial)",
        "ja": "{artist}「{song}」Official Music Video", "ko": "{artist} - '{song}' Official MV",
        "ar": "{artist} - {song} (فيديو كليب رسمي)", "ru": "{artist} — {song} (Премьера клипа)",
        "uk": "{artist} — {song} (Офіційне відео)", "fr": "{artist} - {song} (Clip Officiel)",
    },
    "lyric": {
        "en": "{artist} - {song} (Official Lyric Video)", "es": "{artist} - {song} (Letra)",
        "ja": "{artist}「{song}」歌詞付き Lyric Video", "ko": "{artist} - {song} (가사 Lyrics)",
        "ar": "{artist} - {song} (كلمات)", "ru": "{artist} — {song} (Текст песни)",
        "uk": "{artist} — {song} (Текст пісні)", "fr": "{artist} - {song} (Paroles)",
    },
    "audio": {
        "en": "{artist} - {song} (Official Audio)", "es": "{artist} - {song} (Audio Oficial)",
        "ja": "{artist}「{song}」Official Audio", "ar": "{artist} - {song} (أوديو رسمي)",
    },
    "visualizer": {"en": "{artist} - {song} (Visualizer)", "ja": "{artist}「{song}」Visualizer"},
    "live": {
        "en": "{artist} - {song} (Live at {venue})", "es": "{artist} - {song} (En Vivo desde {venue})",
        "ja": "{artist}「{song}」Live at {venue}", "ko": "{artist} - {song} LIVE @ {venue}",
        "ru": "{artist} — {song} (Live, {venue})", "fr": "{artist} - {song} (Live à {venue})",
    },
    "acoustic": {
        "en": "{artist} - {song} (Acoustic Version)", "es": "{artist} - {song} (Versión Acústica)",
        "ja": "{artist}「{song}」Acoustic ver.", "ko": "{artist} - {song} (Acoustic Ver.)",
        "fr": "{artist} - {song} (Version Acoustique)",
    },
    "remix": {"en": "{artist} - {song} ({remixer} Remix)"},
    "short": {
        "en": "{song} 🎧 #shorts {hashtag}", "es": "{song} 💃🔥 #shorts {hashtag}", "ja": "{song} 🌸 #shorts {hashtag}",
        "ko": "{song} ✨ #shorts {hashtag}", "ar": "{song} 🌙 #shorts {hashtag}",
    },
    "cover": {
        "en": '{artist} covers "{original}" | Northwind Live Sessions',
        "fr": "{artist} - {original} (reprise) | Northwind Live Sessions",
    },
    "behind": {
        "en": 'The Making of "{song}" | Behind the Scenes', "es": 'Detrás de cámaras: "{song}" 🎬',
        "ja": "「{song}」メイキング映像 Behind the Scenes",
    },
    "interview": {
        "en": '{artist} on "{album}", touring and what\'s next | Interview',
        "es": '{artist} habla de "{album}" | Entrevista', "ja": "{artist} インタビュー：アルバム「{album}」を語る",
    },
    "tutorial": {
        "en": 'How to play "{song}" by {artist} on guitar (easy chords)',
        "es": 'Cómo tocar "{song}" de {artist} en guitarra (acordes fáciles)',
        "ja": "「{song}」ギター弾き方講座 – {artist}",
    },
    "tour": {
        "en": "{artist} Tour Diary #{n}: {city} 🚐", "es": "{artist} Diario de gira #{n}: {city} 🚐",
        "ja": "{artist} ツアー日記 #{n}：{city} 🚐",
    },
    "animated": {"en": '"{song}" - an animated short film', "ja": "「{song}」アニメーション・ショートフィルム"},
    "van": {"en": "{artist} drive the tour van from {city} to {city2} 🚐"},
    "pets": {"en": 'Our studio cat reviews "{song}" 🐈'},
    "sports": {"en": "{artist} live at the {city} Marathon opening ceremony 🏃"},
    "gaming": {"en": "{artist} vs. the band: retro game night 🎮"},
    "comedy": {"en": 'Bloopers from the "{song}" video 😂', "es": 'Tomas falsas de "{song}" 😂'},
    "news": {
        "en": '{artist} announce new album "{album}" and world tour dates',
        "es": '{artist} anuncia su nuevo álbum "{album}" y gira mundial',
    },
    "studio": {"en": 'Inside the studio: the synths behind "{song}"'},
    "charity": {"en": "{artist} live for Music for Clean Oceans (benefit concert)"},
}  # fmt: skip
# Localized titles reuse the artist and song names, as labels do; only the suffix is translated.
_LOCALIZED_SUFFIX = {
    "es": {"official": "(Video Oficial)", "lyric": "(Letra)", "audio": "(Audio Oficial)", "live": "(En Vivo)", "acoustic": "(Versión Acústica)"},
    "ja": {"official": "（公式ミュージックビデオ）", "lyric": "（歌詞付き）", "audio": "（公式音源）", "live": "（ライブ映像）", "acoustic": "（アコースティック ver.）"},
    "en": {"official": "(Official Music Video)", "lyric": "(Lyric Video)", "audio": "(Official Audio)", "live": "(Live)", "acoustic": "(Acoustic Version)"},
    "ko": {"official": "(공식 뮤직비디오)", "lyric": "(가사)", "audio": "(공식 음원)", "live": "(라이브)", "acoustic": "(어쿠스틱 버전)"},
}  # fmt: skip
_LOCALIZED_DESCRIPTION = {
    "es": "{artist} – «{song}», del álbum «{album}». Ya disponible en todas las plataformas. 🎧",
    "ja": "{artist}「{song}」アルバム『{album}』収録。各音楽配信サービスで配信中！🎧",
    "en": '{artist} - "{song}" from the album "{album}". Out now everywhere. 🎧',
    "ko": "{artist} - '{song}' 앨범 『{album}』 수록곡. 지금 바로 감상하세요! 🎧",
}
_DESCRIPTION_TEXT = {
    "en": {
        "intro": '{artist} - "{song}" from the album "{album}", out now on Northwind Records.',
        "listen": "🎧 Listen & download", "subscribe": "🔔 Subscribe", "follow": "Follow {artist}",
        "directed": "Directed by", "produced": "Produced by", "lyrics": "Lyrics",
    },
    "es": {
        "intro": "{artist} – «{song}» del álbum «{album}», ya disponible en Northwind Records.",
        "listen": "🎧 Escúchalo aquí", "subscribe": "🔔 Suscríbete", "follow": "Sigue a {artist}",
        "directed": "Dirección", "produced": "Producción", "lyrics": "Letra",
    },
    "ja": {
        "intro": "{artist}「{song}」アルバム『{album}』収録。Northwind Records より好評配信中。",
        "listen": "🎧 配信はこちら", "subscribe": "🔔 チャンネル登録", "follow": "{artist} 公式SNS",
        "directed": "監督", "produced": "プロデュース", "lyrics": "歌詞",
    },
    "ko": {
        "intro": "{artist} - '{song}' (앨범 『{album}』) 지금 발매!",
        "listen": "🎧 음원 듣기", "subscribe": "🔔 구독하기", "follow": "{artist} 팔로우",
        "directed": "감독", "produced": "프로듀서", "lyrics": "가사",
    },
    "ar": {
        "intro": "{artist} - «{song}» من ألبوم «{album}»، متوفر الآن على Northwind Records.",
        "listen": "🎧 استمع الآن", "subscribe": "🔔 اشترك في القناة", "follow": "تابع {artist}",
        "directed": "إخراج", "produced": "إنتاج", "lyrics": "الكلمات",
    },
    "ru": {
        "intro": "{artist} — «{song}» с альбома «{album}». Уже на всех площадках!",
        "listen": "🎧 Слушать", "subscribe": "🔔 Подписаться", "follow": "{artist} в соцсетях",
        "directed": "Режиссёр", "produced": "Продюсер", "lyrics": "Текст",
    },
    "uk": {
        "intro": "{artist} — «{song}» з альбому «{album}». Вже на всіх платформах!",
        "listen": "🎧 Слухати", "subscribe": "🔔 Підписатися", "follow": "{artist} у соцмережах",
        "directed": "Режисер", "produced": "Продюсер", "lyrics": "Текст",
    },
    "fr": {
        "intro": "{artist} - « {song} », extrait de l'album « {album} », disponible chez Northwind Records.",
        "listen": "🎧 Écouter", "subscribe": "🔔 S'abonner", "follow": "Suivre {artist}",
        "directed": "Réalisation", "produced": "Production", "lyrics": "Paroles",
    },
}  # fmt: skip
_BLURBS = {
    "behind": "Go behind the scenes of the video shoot: three days, one warehouse and a lot of coffee.",
    "interview": "We sat down with {artist} to talk about the new record, life on the road and the songs that started it all.",
    "tutorial": "Chords: G – D – Em – C (capo 2). Slow walkthrough first, then play along at full speed.",
    "tour": "Episode {n} of the tour diary: soundcheck, backstage, and the show in {city}.",
    "cover": "Recorded live at Northwind Studio 2, London. One take, no overdubs.",
}
_LYRIC_LINES = {
    "en": (
        "I drove all night to find the harbor lights", "Paper hearts don't break, they fold",
        "We were golden in the summer rain", "Call my name across the northern line",
        "Every echo sounds like you", "Hold on, the morning's on its way",
    ),
    "es": (
        "Bajo la luna de mi ciudad", "Tu corazón de cristal se rompió", "Mañana será otro día, mi amor",
        "Caminamos sin final por la orilla del río", "Bésame otra vez bajo el sol", "¿Qué será de nosotros?",
    ),
    "ja": (
        "夜明けの街で君を待ってる", "東京の雨に濡れたまま", "桜が舞う季節にまた会おう",
        "星空の下で歌を歌う", "風になって君に届け", "さよならは言わないで",
    ),
    "ko": ("밤하늘의 별처럼 빛나는 너", "봄날의 기억 속에 너를 찾아", "다시 만나자 그 여름 밤에", "너에게로 가는 이 길 위에"),
    "ar": ("يا قمر الليل خذني إليك", "على شط البحر نغني للحب", "نسيم الصباح يحمل اسمك", "قلبي معك أينما كنت"),
    "ru": ("Белые ночи над Невой", "Ветер перемен зовёт меня домой", "Не уходи, ещё не время", "Город огней не спит со мной"),
    "uk": ("Вишневий сад цвіте для нас", "Ластівко, лети додому", "Місто весни співає знов", "Я чекатиму тебе біля річки"),
    "fr": ("Au café de Flore on s'est dit adieu", "Les étoiles dansent sur la Seine", "Où es-tu, mon été indien ?"),
}  # fmt: skip
_GENERIC_TAGS = {
    "en": ("official video", "new music", "music video", "indie", "playlist", "live music", "lyrics"),
    "es": ("música", "video oficial", "canción", "letra", "en vivo", "música latina", "éxitos"),
    "ja": ("J-POP", "MV", "歌詞", "邦楽", "ライブ", "新曲", "作業用BGM"),
    "ko": ("KPOP", "MV", "케이팝", "가사", "신곡"),
    "ar": ("اغاني", "موسيقى", "فيديو كليب", "Arabic music"),
    "ru": ("музыка", "клип", "премьера", "новинка"),
    "uk": ("українська музика", "кліп", "прем'єра"),
    "fr": ("chanson française", "clip officiel", "musique", "live"),
}  # fmt: skip
_CREW = (
    "Ava Lindqvist", "Marco Giménez", "Yuki Tanaka", "Jae-won Park", "Noor Al-Sayed", "Dmitri Volkov",
    "Chloé Dubois", "Łukasz Nowak", "Ngozi Okafor", "Søren Madsen",
)  # fmt: skip
_VENUES = (
    "the Harbor Ballroom", "Teatro Metropólitan", "日本武道館", "Red Rocks", "KOKO London",
    "Palacio de los Deportes", "Zepp Tokyo", "Sala Apolo", "Olympic Hall", "Paradiso Amsterdam",
)  # fmt: skip
_CITIES = (
    "Lisbon", "Ciudad de México", "São Paulo", "Kraków", "Łódź", "München", "Seoul", "大阪",
    "Reykjavík", "Montréal", "Buenos Aires", "Zürich", "İstanbul", "Portland",
)  # fmt: skip
# Social handles of the artists whose names have no Latin spelling.
_ARTIST_HANDLES = {
    "ひなた": "hinata_official",
    "ミッドナイト・トレイン": "midnighttrain_jp",
    "한별 (Hanbyeol)": "hanbyeol",
    "ليلى حداد": "laylahaddad",
    "Алина Воронова": "alinavoronova",
    "Гурт Ластівка": "lastivka.band",
}
# How each language makes new song titles once an artist has recorded their listed songs.
_SONG_WORDS = {
    "en": ("{} {}", ("Golden", "Electric", "Quiet", "Neon", "Paper", "Silver", "Wild", "Broken", "Endless",
                     "Northern", "Velvet", "Hollow", "Crimson", "Lonely", "Sunday", "Burning"),
           ("Hearts", "Skyline", "Rivers", "Summer", "Lights", "Highway", "Letters", "Tides", "Horizon",
            "Dreams", "Radio", "Weather", "Gardens", "Kingdom", "Motel", "Parade")),
    "es": ("{} {}", ("Corazón", "Noche", "Canción", "Luna", "Ciudad", "Alma", "Verano", "Camino", "Fuego",
                     "Río", "Baile", "Sueño"),
           ("de Cristal", "del Sur", "sin Final", "de Papel", "en Llamas", "de Medianoche", "de Verano",
            "sin Ti", "de Mi Vida", "del Mar", "de Oro", "Prohibido")),
    "ja": ("{}{}", ("夜明け", "東京", "桜", "星空", "真夏", "青空", "雨上がり", "花火", "月夜", "放課後"),
           ("のメロディ", "の約束", "ドライブ", "の向こう側", "に恋して", "物語", "ダンス", "のうた", "ララバイ")),
    "ko": ("{}의 {}", ("밤하늘", "봄날", "첫사랑", "서울", "여름밤", "별빛", "바다", "우리"),
           ("노래", "기억", "약속", "꿈", "계절", "고백")),
    "ar": ("{} {}", ("ليالي", "نسيم", "قمر", "حلم", "أغنية", "شمس", "بحر"),
           ("القاهرة", "الصباح", "الحب", "بيروت", "الليل", "الصيف")),
    "ru": ("{} {}", ("Белые", "Летние", "Ночные", "Тёплые", "Последние", "Зимние"),
           ("ночи", "дожди", "огни", "ветра", "письма", "сны")),
    "uk": ("{} {}", ("Весняні", "Вишневі", "Нічні", "Теплі", "Зимові"), ("сади", "дощі", "вогні", "вітри", "листи")),
    "fr": ("{} {}", ("Café", "Été", "Cœur", "Soleil", "Rêve", "Boulevard"),
           ("de Paris", "Indien", "d'Automne", "du Sud", "Bleu", "Perdu")),
}  # fmt: skip
_REMIXERS = ("DJ Kestrel", "Nova Drift", "KOHAKU", "Sol Invictus", "Lumen & Vale")
_COVER_ORIGINALS = (
    "Moon River",
    "Bésame Mucho",
    "Hallelujah",
    "Dancing Queen",
    "La Vie en rose",
    "Yesterday",
)
_STUFFED_TAG_WORDS = (
    "lyrics", "live", "cover", "remix", "karaoke", "instrumental", "reaction", "tutorial", "piano",
    "slowed", "sped up", "8D audio", "mp3", "download", "full album", "1 hour",
)  # fmt: skip
_PENDING_EXTRA_TAGS = (
    "remastered",
    "4K",
    "Northwind Records",
    "new music 2026",
    "official",
    "HD",
    "throwback",
)
_NOTES = (
    "Master re-delivered in 2021; check the ISRC with the distributor.",
    "Sync licence for the film version ends 2027-12-31.",
    "Artist asked for the old thumbnail to be replaced.",
    "Split sheet pending from the co-writer.",
)
# Status of a second claim; the first claim of a claimed video is always active.
_CLAIM_STATUS_NAMES = ("active", "inactive", "disputed", "pending", "appealed", "potential")
_CLAIM_STATUS_WEIGHTS = (75, 10, 6, 5, 2, 2)


# ------------------------------------------------------------------------------ text helpers


def _fit_title(text: str) -> str:
    """Cut a title to YouTube's 100 characters at a word boundary; < and > are not allowed."""
    text = text.replace("<", "‹").replace(">", "›").strip()
    if len(text) <= TITLE_MAX_CHARS:
        return text
    cut = text[: TITLE_MAX_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" -–—|(") + "…"


def _fit_description(text: str) -> str:
    """Cut a description to 5,000 UTF-8 bytes without splitting a character."""
    text = text.replace("<", "‹").replace(">", "›")
    encoded = text.encode("utf-8")
    if len(encoded) <= DESCRIPTION_MAX_BYTES:
        return text
    return encoded[:DESCRIPTION_MAX_BYTES].decode("utf-8", errors="ignore").rstrip()


def _fit_tags(tags) -> list[str]:
    """Drop repeated tags and, from the end, those over YouTube's 500 characters."""
    seen = set()
    kept = []
    for tag in tags:
        tag = tag.replace("<", "").replace(">", "").strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            kept.append(tag)
    while tags_length(kept) > TAGS_MAX_CHARS:
        kept.pop()
    return kept


def _hashtag(text: str) -> str:
    return "#" + "".join(char for char in text if char.isalnum())


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Lucía Peñalver" -> "lucia-penalver"); may be empty."""
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(char.lower() if char.isalnum() else " " for char in ascii_only).split()
    return "-".join(words)


def _handle(artist_name: str) -> str:
    return _ARTIST_HANDLES.get(artist_name) or _slug(artist_name).replace("-", "")


def _text_language(language: str) -> str:
    """The key of the text tables for a language tag: es-419 writes like es, en-GB like en."""
    return language.split("-")[0]


# ------------------------------------------------------------------------------ the generator


@dataclass
class _Recording:
    song: str
    artist: _Artist
    album: str
    isrc: str
    seconds: int
    released: datetime
    video_kinds: set[str]
    asset_id: str = ""  # the sound recording asset, made when first claimed


class _CatalogueBuilder:
    def __init__(self, *, rng: Random, today: date):
        self.rng = rng
        self.today = today
        self.used_ids: set[str] = set()
        self.recordings: dict[str, list[_Recording]] = defaultdict(list)  # artist name -> recordings
        self.web_assets: dict[str, str] = {}  # artist name -> asset id for their web content
        self.isrc_numbers: dict[str, int] = {}
        self.custom_id_numbers: dict[str, int] = defaultdict(int)
        self.tour_episodes: dict[str, int] = defaultdict(int)
        self.title_uses: dict[str, int] = defaultdict(int)

    # ---- ids

    def _unique(self, make) -> str:
        while True:
            value = make()
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def _chars(self, count: int) -> str:
        return "".join(self.rng.choices(_URL_SAFE, k=count))

    def video_id(self) -> str:
        return self._unique(lambda: self._chars(10) + self.rng.choice(_VIDEO_ID_LAST))

    def channel_id(self) -> str:
        return self._unique(lambda: "UC" + self._chars(21) + self.rng.choice(_CHANNEL_ID_LAST))

    def asset_id(self) -> str:
        return self._unique(lambda: "A" + "".join(self.rng.choices(string.digits, k=15)))

    def claim_id(self) -> str:
        return self._unique(lambda: self._chars(11))

    def policy_id(self) -> str:
        return self._unique(lambda: "P" + "".join(self.rng.choices(string.digits, k=14)))

    def etag(self) -> str:
        return self._chars(27)

    def isrc(self, prefix: str, year: int) -> str:
        key = f"{prefix}{year % 100:02d}"
        if key not in self.isrc_numbers:
            self.isrc_numbers[key] = self.rng.randint(10_000, 60_000)
        self.isrc_numbers[key] += self.rng.randint(1, 7)
        return f"{key}{self.isrc_numbers[key]:05d}"

    def custom_id(self, prefix: str, kind: str) -> str:
        self.custom_id_numbers[prefix, kind] += 1
        return f"{prefix}-{kind}-{self.custom_id_numbers[prefix, kind]:06d}"

    # ---- the label

    def channels(self) -> list[DemoChannel]:
        return [
            DemoChannel(
                id=self.channel_id(),
                title=plan.title,
                description=plan.description,
                country=plan.country,
                published_at=plan.started,
                subscriber_count=int(plan.weight * self.rng.randint(900_000, 1_400_000)),
            )
            for plan in _CHANNEL_PLANS
        ]

    def policies(self) -> list[DemoPolicy]:
        return [
            DemoPolicy(
                id=self.policy_id(),
                name=name,
                description=f"Saved policy of {DEMO_OWNER_NAME}.",
                rules=rules,
                restrictiveness=restrictiveness,
            )
            for name, restrictiveness, rules in _POLICIES
        ]

    # ---- one video

    def published_at(self, plan: _ChannelPlan, *, since: datetime | None = None) -> datetime:
        start = max(CATALOGUE_START, plan.started + timedelta(days=30), since or CATALOGUE_START)
        # More uploads in recent years, as on any growing channel.
        share = self.rng.random() ** 0.6
        moment = start + (CATALOGUE_END - start) * share
        return moment.replace(microsecond=0)

    def new_song(self, artist: _Artist) -> str:
        """A song the artist has not recorded yet: from their list first, then composed."""
        recorded = {r.song for r in self.recordings[artist.name]}
        unrecorded = [song for song in artist.songs if song not in recorded]
        if unrecorded:
            return self.rng.choice(unrecorded)
        pattern, firsts, seconds = _SONG_WORDS[_text_language(artist.language)]
        for _ in range(20):
            song = pattern.format(self.rng.choice(firsts), self.rng.choice(seconds))
            if song not in recorded:
                return song
        return self.rng.choice(artist.songs)

    def recording(self, plan: _ChannelPlan, artist: _Artist, kind: str, published: datetime) -> _Recording:
        rng = self.rng
        existing = self.recordings[artist.name]
        # Another video of a released song, of a kind that song does not have yet.
        open_songs = [r for r in existing if kind not in r.video_kinds]
        if kind not in _NEW_RECORDING and open_songs and rng.random() < 0.45:
            recording = rng.choice(open_songs)
            recording.video_kinds.add(kind)
            return recording
        if kind in _NEW_RECORDING and existing and rng.random() < 0.85:
            original = rng.choice(existing)  # a live, acoustic or remixed version of a released song
            song, album = original.song, original.album
        else:
            song, album = self.new_song(artist), rng.choice(artist.albums)
        recording = _Recording(
            song=song,
            artist=artist,
            album=album,
            isrc=self.isrc(plan.isrc_prefix, published.year),
            seconds=rng.randint(*_KIND_SECONDS.get(kind, (150, 300))),
            released=published,
            video_kinds={kind},
        )
        if kind not in _NEW_RECORDING:
            existing.append(recording)
        return recording

    def title(self, kind: str, language: str, values: dict) -> str:
        templates = _TITLES[kind]
        template = templates.get(_text_language(language), templates["en"])
        return _fit_title(template.format(**values))

    def description(self, kind: str, language: str, values: dict, plan: _ChannelPlan) -> str:
        rng = self.rng
        if rng.random() < 0.03:
            return ""  # old uploads often have none
        text = _DESCRIPTION_TEXT.get(_text_language(language), _DESCRIPTION_TEXT["en"])
        lines = []
        if kind in _SONG_BASED or kind == "cover":
            lines.append(text["intro"].format(**values))
        else:
            lines.append(_BLURBS.get(kind, "{title}").format(**values))
        lines += [
            "",
            f"{text['listen']}: https://northwind.lnk.to/{values['link']}",
            f"{text['subscribe']}: https://www.youtube.com/@{plan.handle}?sub_confirmation=1",
        ]
        if kind in ("official", "live", "acoustic", "behind", "animated"):
            lines += [
                "",
                f"{text['directed']}: {rng.choice(_CREW)}",
                f"{text['produced']}: {rng.choice(_CREW)}",
            ]
        handle = _handle(values["artist"])
        lines += [
            "",
            text["follow"].format(**values) + ":",
            f"Instagram: https://instagram.com/{handle}",
            f"TikTok: https://www.tiktok.com/@{handle}",
        ]
        if kind == "lyric" or (kind in _SONG_BASED and rng.random() < 0.08):
            pool = _LYRIC_LINES.get(_text_language(language), _LYRIC_LINES["en"])
            # About one in ten lyric descriptions runs past the limit and is cut at 5,000 bytes.
            line_count = rng.randint(400, 600) if rng.random() < 0.1 else rng.randint(12, 40)
            lines += ["", f"{text['lyrics']}:"] + rng.choices(pool, k=line_count)
        if kind in _SONG_BASED:
            lines += ["", f"℗ {values['year']} Northwind Records"]
        lines += ["", " ".join([_hashtag(values["artist"]), _hashtag(values["song"]), "#NorthwindRecords"])]
        return _fit_description("\n".join(lines))

    def tags(self, kind: str, language: str, values: dict, genres) -> list[str]:
        rng = self.rng
        if rng.random() < 0.05:
            return []
        tags = [values["artist"]]
        if values["song"] in values["title"]:
            tags += [values["song"], f"{values['artist']} {values['song']}"]
        tags += genres
        generic = _GENERIC_TAGS.get(_text_language(language), _GENERIC_TAGS["en"])
        tags += rng.sample(generic, k=min(len(generic), rng.randint(1, 4)))
        tags += ["Northwind Records", values["album"]]
        if kind in ("live", "acoustic", "cover"):
            tags += ["live session", "acoustic" if kind == "acoustic" else "live"]
        if kind == "cover":
            tags += [values["original"], f"{values['original']} cover"]
        if rng.random() < 0.04:
            # Tag stuffing from the early years: as many as fit in 500 characters.
            tags += [f"{values['song']} {word}" for word in _STUFFED_TAG_WORDS]
            tags += list(_GENERIC_TAGS["en"]) + list(generic)
        return _fit_tags(tags)

    def localizations(self, kind: str, language: str, values: dict) -> dict:
        base = _text_language(language)
        wanted = {"en": ("es", "ja"), "es": ("en", "ja"), "ja": ("en", "es"), "ko": ("en", "ja")}.get(
            base, ("en",)
        )
        localizations = {}
        for target in wanted:
            if self.rng.random() < 0.35 and kind in _LOCALIZED_SUFFIX[target]:
                suffix = _LOCALIZED_SUFFIX[target][kind]
                if target == "ja":
                    title = f"{values['artist']}「{values['song']}」{suffix}"
                else:
                    title = f"{values['artist']} - {values['song']} {suffix}"
                localizations[target] = {
                    "title": _fit_title(title),
                    "description": _fit_description(_LOCALIZED_DESCRIPTION[target].format(**values)),
                }
        return localizations

    def counts(self, kind: str, privacy: str, published: datetime) -> tuple[int, int, int]:
        rng = self.rng
        if privacy == "private":
            return 0, 0, 0
        median = _KIND_VIEWS.get(kind, _OTHER_VIEWS)
        if privacy == "unlisted":
            median /= 50
        years = max((CATALOGUE_END - published).days / 365, 0.05)
        views = int(median * min(years, 6) ** 0.5 * rng.lognormvariate(0, 1.6))
        likes = int(views * rng.uniform(0.004, 0.05))
        comments = int(views * rng.uniform(0.0002, 0.003))
        return views, likes, comments

    def video(self, plan: _ChannelPlan, channel: DemoChannel, policies: list[DemoPolicy]) -> DemoVideo:
        rng = self.rng
        artist = rng.choices(plan.artists, weights=[a.weight for a in plan.artists])[0]
        kind = rng.choices(list(plan.kinds), weights=list(plan.kinds.values()))[0]
        published = self.published_at(plan, since=SHORTS_START if kind == "short" else None)
        language = artist.language
        recording = self.recording(plan, artist, kind, published)
        if published < recording.released:
            # A video of a song comes out with it or after it.
            later = recording.released + timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86_399))
            published = min(later, CATALOGUE_END)
        self.tour_episodes[artist.name] += kind == "tour"
        values = {
            "artist": artist.name,
            "song": recording.song,
            "album": recording.album,
            "year": recording.released.year,
            "venue": rng.choice(_VENUES),
            "city": rng.choice(_CITIES),
            "city2": rng.choice(_CITIES),
            "remixer": rng.choice(_REMIXERS),
            "original": rng.choice(_COVER_ORIGINALS),
            "n": self.tour_episodes[artist.name],
            "language": language,
            "hashtag": _hashtag(artist.name),
            # Songs with no Latin spelling get their link from the ISRC, as link services do.
            "link": f"{_handle(artist.name)}-{_slug(recording.song) or recording.isrc.lower()}",
        }
        title = self.title(kind, language, values)
        if kind not in _SONG_BASED:
            # A second interview about the same album is "Part 2", as channels name them.
            self.title_uses[title] += 1
            if self.title_uses[title] > 1:
                title = _fit_title(f"{title} (Part {self.title_uses[title]})")
        values["title"] = title

        # Privacy: mostly public; a few private ones are scheduled to go public soon.
        roll = rng.random()
        privacy = "public" if roll < 0.88 else "unlisted" if roll < 0.95 else "private"
        publish_at = None
        if privacy == "private" and rng.random() < 0.35:
            published = (CATALOGUE_END - timedelta(days=rng.randint(1, 40))).replace(second=0)
            day = self.today + timedelta(days=rng.randint(2, 60))
            publish_at = datetime.combine(day, time(rng.choice((14, 15, 16, 17)), 0), tzinfo=UTC)

        # Early uploads rarely set a language; a few recent ones still do not.
        unset_share = 0.6 if published.year < 2012 else 0.06
        default_language = "" if rng.random() < unset_share else language
        localizations = {}
        if default_language and privacy != "private" and rng.random() < 0.25:
            localizations = self.localizations(kind, language, values)
        seconds = recording.seconds if kind in _SONG_BASED and kind != "short" else None
        if seconds is None:
            seconds = rng.randint(*_KIND_SECONDS.get(kind, _OTHER_SECONDS))
        views, likes, comments = self.counts(kind, privacy, published)
        # Uploaders must answer "made for kids" since 2020; some older videos never were.
        if artist.for_kids:
            self_declared = True
        elif published.year >= 2020 or rng.random() < 0.7:
            self_declared = False
        else:
            self_declared = None
        # The altered or synthetic content setting arrived in 2024; older videos mostly lack it.
        if published.year >= 2024:
            synthetic = kind == "visualizer" and rng.random() < 0.1
        else:
            synthetic = False if rng.random() < 0.3 else None

        claimed_status, claims, new_assets = self.claims(plan, artist, kind, recording, values, policies)
        active = [c for c in claims if c.status == "active"]
        by_id = {p.id: p for p in policies}
        effective_policy = (
            max((by_id[c.policy_id] for c in active), key=lambda p: p.restrictiveness).name if active else ""
        )
        genres = list(artist.genres)
        artists = [artist.name]
        if kind in _SONG_BASED and rng.random() < 0.1:
            featured = rng.choice([a for a in plan.artists if a is not artist] or [artist])
            if featured is not artist:
                artists.append(featured.name)
        custom_id = ""
        if kind in ("official", "live", "acoustic"):
            music_video_claims = [a for a in new_assets if a.asset_type == Asset.Type.MUSIC_VIDEO]
            custom_id = (
                music_video_claims[0].custom_id
                if music_video_claims
                else self.custom_id(plan.custom_id_prefix, "MV")
            )
        remote = {
            "title": title,
            "description": self.description(kind, language, values, plan),
            "tags": self.tags(kind, language, values, genres),
            "category_id": rng.choice(_KIND_CATEGORIES[kind]),
            "default_language": default_language,
            "privacy_status": privacy,
            "embeddable": rng.random() > 0.04,
            "public_stats_viewable": rng.random() > 0.03,
            "license": "creativeCommon" if kind not in _SONG_BASED and rng.random() < 0.2 else "youtube",
            "self_declared_made_for_kids": self_declared,
            "publish_at": publish_at,
            "contains_synthetic_media": synthetic,
            "localizations": localizations,
            # Read-only state.
            "made_for_kids": bool(self_declared),
            "published_at": published,
            "duration_seconds": seconds,
            "definition": "sd" if published.year < 2010 else "hd",
            "caption": rng.random() < (0.5 if kind in _SONG_BASED else 0.25),
            "view_count": views,
            "like_count": likes,
            "comment_count": comments,
            "upload_status": "uploaded" if publish_at and rng.random() < 0.2 else "processed",
            "claimed_status": claimed_status,
            "effective_policy": effective_policy,
        }
        video = DemoVideo(
            id=self.video_id(),
            channel_id=channel.id,
            remote=remote,
            etag=self.etag(),
            artists=artists,
            genres=genres,
            isrc=recording.isrc if kind in _SONG_BASED else "",
            custom_id=custom_id,
            notes=rng.choice(_NOTES) if rng.random() < 0.02 else "",
            pending_changes={},
            new_assets=new_assets,
            claims=claims,
        )
        if rng.random() < PENDING_SHARE:
            video.pending_changes = self.pending_changes(video, values)
        return video

    # ---- rights

    def _policy(self, policies, weights) -> str:
        return self.rng.choices(policies, weights=weights)[0].id

    def _sound_recording(self, plan, recording: _Recording, new_assets: list) -> str:
        if not recording.asset_id:
            recording.asset_id = self.asset_id()
            new_assets.append(
                DemoAsset(
                    id=recording.asset_id,
                    asset_type=Asset.Type.SOUND_RECORDING,
                    title=recording.song,
                    isrc=recording.isrc,
                    # Labels commonly use the ISRC as the custom id of a sound recording.
                    custom_id=recording.isrc,
                    metadata={
                        "artist": recording.artist.name,
                        "album": recording.album,
                        "label": DEMO_OWNER_NAME,
                    },
                )
            )
        return recording.asset_id

    def claims(self, plan, artist, kind, recording, values, policies):
        """Claims of our owner on one video, its claimed status and the assets first claimed here."""
        rng = self.rng
        roll = rng.random()
        if kind == "cover":
            status = "others" if roll < 0.7 else "unclaimed"
        elif kind in _SONG_BASED:
            status = "claimed" if roll < 0.86 else "others" if roll < 0.91 else "unclaimed"
        else:
            status = "claimed" if roll < 0.4 else "others" if roll < 0.5 else "unclaimed"
        if status != "claimed":
            # Other owners' claims are not ours to see: only the status says they exist.
            return status, [], []

        new_assets: list[DemoAsset] = []
        claims = []
        primary_policy = self._policy(policies, _PRIMARY_POLICY_WEIGHTS)
        if kind in ("official", "live", "acoustic") and (kind == "official" or rng.random() < 0.6):
            asset = DemoAsset(
                id=self.asset_id(),
                asset_type=Asset.Type.MUSIC_VIDEO,
                title=values["title"],
                isrc="",
                custom_id=self.custom_id(plan.custom_id_prefix, "MV"),
                metadata={"artist": artist.name, "album": recording.album, "label": DEMO_OWNER_NAME},
            )
            new_assets.append(asset)
            primary = (asset.id, "audiovisual")
        elif kind in _SONG_BASED:
            primary = (self._sound_recording(plan, recording, new_assets), "audio")
        else:
            if artist.name not in self.web_assets:
                asset = DemoAsset(
                    id=self.asset_id(),
                    asset_type=Asset.Type.WEB,
                    title=f"{artist.name} – web content",
                    isrc="",
                    custom_id=self.custom_id(plan.custom_id_prefix, "WEB"),
                    metadata={"artist": artist.name, "label": DEMO_OWNER_NAME},
                )
                new_assets.append(asset)
                self.web_assets[artist.name] = asset.id
            primary = (self.web_assets[artist.name], rng.choice(("video", "audiovisual")))
        claims.append(
            DemoClaim(
                id=self.claim_id(),
                asset_id=primary[0],
                content_type=primary[1],
                policy_id=primary_policy,
                status="active",
                origin="Partner uploaded",
            )
        )
        # A second claim: the song's sound recording heard in the video.
        second_chance = 0.35 if kind in ("official", "live", "acoustic", "remix") else 0.12
        if rng.random() < second_chance:
            if primary[1] == "audio":
                # Already claimed for its own recording: another of the artist's songs plays in it.
                others = [r for r in self.recordings[artist.name] if r is not recording]
                heard = rng.choice(others) if others else None
            else:
                heard = recording
            if heard is not None:
                claims.append(
                    DemoClaim(
                        id=self.claim_id(),
                        asset_id=self._sound_recording(plan, heard, new_assets),
                        content_type="audio",
                        policy_id=self._policy(policies, _SECONDARY_POLICY_WEIGHTS),
                        status=rng.choices(_CLAIM_STATUS_NAMES, weights=_CLAIM_STATUS_WEIGHTS)[0],
                        origin="Descriptive search" if rng.random() < 0.15 else "Audio match",
                    )
                )
        return "claimed", claims, new_assets

    # ---- what we want and YouTube does not have yet

    def pending_changes(self, video: DemoVideo, values: dict) -> dict:
        rng = self.rng
        remote = video.remote
        changes = {}
        for edit in rng.sample(
            ("title", "tags", "privacy", "description", "category", "localization"),
            k=rng.choice((1, 1, 1, 2)),
        ):
            if edit == "title":
                title = remote["title"]
                if "(Official Music Video)" in title:
                    new = title.replace("(Official Music Video)", "(Official 4K Music Video)")
                elif remote["published_at"].year < 2016:
                    new = f"{title} (Remastered)"
                else:
                    new = f"{title} | Northwind Records"
                new = _fit_title(new)
                if new == title:
                    new = _fit_title(f"{title[:80]} (2026 Edit)")
                changes["title"] = new
            elif edit == "tags":
                extra = rng.sample(_PENDING_EXTRA_TAGS, k=rng.randint(1, 3))
                tags = list(remote["tags"])
                # Make room for the new tags when the old ones already fill 500 characters.
                while tags and tags_length([*tags, *extra]) > TAGS_MAX_CHARS:
                    tags.pop()
                changes["tags"] = _fit_tags([*tags, *extra])
            elif edit == "privacy":
                if remote["publish_at"] is not None:
                    # Scheduled: move the premiere a week later (still private, as YouTube requires).
                    changes["publish_at"] = remote["publish_at"] + timedelta(days=7)
                else:
                    changes["privacy_status"] = (
                        "unlisted" if remote["privacy_status"] == "public" else "public"
                    )
            elif edit == "description":
                link = f"Stream the deluxe edition: https://northwind.lnk.to/{values['link']}-deluxe"
                description = remote["description"]
                # Put the new line first so a description cut at 5,000 bytes still changes.
                changes["description"] = _fit_description(f"{link}\n\n{description}" if description else link)
            elif edit == "category":
                changes["category_id"] = "24" if remote["category_id"] == "10" else "10"
            elif edit == "localization":
                if remote["default_language"]:
                    localizations = dict(remote["localizations"])
                    target = (
                        "fr"
                        if "fr" not in localizations and not remote["default_language"].startswith("fr")
                        else "de"
                    )
                    title = "Clip officiel" if target == "fr" else "Offizielles Video"
                    localizations[target] = {"title": _fit_title(f"{values['song']} – {title}")}
                    changes["localizations"] = localizations
                else:
                    changes["default_language"] = values["language"]
        return {name: value for name, value in changes.items() if value != remote[name]}

    def videos(self, channels, policies, count: int) -> Iterator[DemoVideo]:
        weights = [plan.weight for plan in _CHANNEL_PLANS]
        plans = list(zip(_CHANNEL_PLANS, channels, strict=True))
        for _ in range(count):
            plan, channel = self.rng.choices(plans, weights=weights)[0]
            yield self.video(plan, channel, policies)


def demo_catalogue(*, seed: int = 42, video_count: int = 3000, today: date) -> DemoCatalogue:
    """Generate the demo catalogue; the same arguments always give the same catalogue."""
    builder = _CatalogueBuilder(rng=Random(seed), today=today)
    channels = builder.channels()
    policies = builder.policies()
    return DemoCatalogue(
        owner_id=DEMO_OWNER_ID,
        owner_name=DEMO_OWNER_NAME,
        channels=channels,
        policies=policies,
        video_count=video_count,
        videos=builder.videos(channels, policies, video_count),
    )


# ------------------------------------------------------------------------------ writes


class DemoCatalogueError(Exception):
    """The demo catalogue cannot be loaded or removed; the message says why and what to do."""


@dataclass(frozen=True)
class DemoLoadResult:
    channels: int
    policies: int
    videos: int
    pending: int
    claims: int
    assets: int
    report_id: int | None = None  # the report the catalogue was imported from
    report_rows: int = 0


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    scope: str
    password: str | None  # set only when the user was created just now


def demo_catalogue_video_count() -> int | None:
    """How many videos the loaded demo catalogue has; None when it is not loaded."""
    if not ContentOwner.objects.filter(pk=DEMO_OWNER_ID).exists():
        return None
    return Video.objects.filter(channel__content_owner_id=DEMO_OWNER_ID).count()


def _demo_reports_delete() -> None:
    """The demo's own reports (the one it was loaded from), with their stored files."""
    from reports.models import Report

    for report in Report.objects.filter(content_owner_id=DEMO_OWNER_ID, original_name=DEMO_REPORT_NAME):
        if report.file:
            report.file.delete(save=False)
        report.delete()


@transaction.atomic
def demo_catalogue_delete() -> int:
    """Remove the demo owner with its claims, videos, assets, policies and channels.

    Returns the number of videos removed. Memberships of the owner and its channels go too.
    """
    demo_videos = Video.objects.filter(channel__content_owner_id=DEMO_OWNER_ID)
    try:
        Claim.objects.filter(
            Q(video__channel__content_owner_id=DEMO_OWNER_ID) | Q(asset__content_owner_id=DEMO_OWNER_ID)
        ).delete()
        removed, by_model = demo_videos.delete()
        Asset.objects.filter(content_owner_id=DEMO_OWNER_ID).delete()
    except ProtectedError as error:
        raise DemoCatalogueError(f"The demo catalogue cannot be removed: {error.args[0]}") from error
    Policy.objects.filter(content_owner_id=DEMO_OWNER_ID).delete()
    Channel.objects.filter(content_owner_id=DEMO_OWNER_ID).delete()
    _demo_reports_delete()
    ContentOwner.objects.filter(pk=DEMO_OWNER_ID).delete()
    return by_model.get(Video._meta.label, 0)


# Reporting API a4 columns the demo report fills (the real report has more; the pipeline reads these).
DEMO_REPORT_COLUMNS = (
    "video_id", "channel_id", "claim_id", "asset_id", "custom_id", "category", "channel_display_name",
    "claim_origin", "claimed_by_this_owner", "other_owners_claiming", "comments", "content_type",
    "effective_policy", "embedding_allowed", "is_made_for_kids_effective_setting",
    "is_made_for_kids_user_selection", "isrc", "time_published", "video_length", "video_privacy_status",
    "video_title", "views",
)  # fmt: skip
DEMO_REPORT_NAME = "northwind_records_content_owner_video_metadata_a4.csv"
_OTHER_OWNER = "Cobalt Music Publishing"  # who claims the videos "claimed by other owners only"


def _report_bool(value) -> str:
    return "" if value is None else ("True" if value else "False")


def demo_report_rows(
    spec: DemoVideo, *, channel_titles: dict, policy_names: dict, assets: dict
) -> list[list]:
    """The a4 rows of one video: one per active claim, or one without a claim."""
    remote = spec.remote
    video = {
        "video_id": spec.id,
        "channel_id": spec.channel_id,
        "category": remote["category_id"],
        "channel_display_name": channel_titles[spec.channel_id],
        "claimed_by_this_owner": _report_bool(remote["claimed_status"] == Video.ClaimedStatus.CLAIMED),
        "other_owners_claiming": _OTHER_OWNER if remote["claimed_status"] == "others" else "",
        "comments": "" if remote["comment_count"] is None else str(remote["comment_count"]),
        "embedding_allowed": _report_bool(remote["embeddable"]),
        "is_made_for_kids_effective_setting": _report_bool(remote["made_for_kids"]),
        "is_made_for_kids_user_selection": _report_bool(remote["self_declared_made_for_kids"]),
        "time_published": remote["published_at"].astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S"),
        "video_length": str(remote["duration_seconds"]),
        "video_privacy_status": remote["privacy_status"],
        "video_title": remote["title"],
        "views": str(remote["view_count"]),
    }
    active = [claim for claim in spec.claims if claim.status == Claim.Status.ACTIVE]
    rows = []
    for claim in active or [None]:
        row = dict(video)
        if claim is not None:
            isrc, custom_id = assets[claim.asset_id]
            row.update(
                claim_id=claim.id,
                asset_id=claim.asset_id,
                custom_id=custom_id,
                isrc=isrc,
                claim_origin=claim.origin,
                content_type=claim.content_type.capitalize(),
                # The report names the policy applied by each claim (by its name, not its id).
                effective_policy=policy_names[claim.policy_id],
            )
        rows.append([row.get(column, "") for column in DEMO_REPORT_COLUMNS])
    return rows


BULK_UPDATE_BATCH = 100


def _write_demo_report(catalogue: DemoCatalogue, *, owner, path: str, batch_size: int) -> int:
    """Create the catalogue's assets and write its a4 report to `path`; returns the videos written."""
    channel_titles = {c.id: c.title for c in catalogue.channels}
    policy_names = {p.id: p.name for p in catalogue.policies}
    assets: dict[str, tuple[str, str]] = {}
    pending_assets: list[Asset] = []
    videos = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DEMO_REPORT_COLUMNS)
        for spec in catalogue.videos:
            for a in spec.new_assets:
                assets[a.id] = (a.isrc, a.custom_id)
                pending_assets.append(
                    Asset(
                        id=a.id,
                        content_owner=owner,
                        title=a.title,
                        asset_type=a.asset_type,
                        isrc=a.isrc,
                        custom_id=a.custom_id,
                        metadata=a.metadata,
                    )
                )
            writer.writerows(
                demo_report_rows(
                    spec, channel_titles=channel_titles, policy_names=policy_names, assets=assets
                )
            )
            videos += 1
            if len(pending_assets) >= batch_size:
                Asset.objects.bulk_create(pending_assets, batch_size=batch_size)
                pending_assets = []
    Asset.objects.bulk_create(pending_assets, batch_size=batch_size)
    return videos


def _import_demo_report(path: str, *, owner):
    """Import the demo report with the services every uploaded report goes through."""
    from reports.models import Report
    from reports.services import report_create_from_path, report_ingest

    report = report_create_from_path(path=path, content_owner=owner, enqueue=False)
    report = report_ingest(report_id=report.pk)
    if report is None or report.status != Report.Status.DONE or report.rows_rejected:
        detail = report.message if report is not None else "it was not run"
        raise DemoCatalogueError(f"The demo report could not be imported cleanly: {detail}")
    return report


def _complete_from_api(spec: DemoVideo, video: Video, *, fetched_at: datetime) -> None:
    """What the APIs add to the report's values, then our own metadata and the pending edits."""
    video.artists, video.genres, video.notes = spec.artists, spec.genres, spec.notes
    # The report's isrc/custom_id columns are the claimed asset's (custom_id is in the a4 primary
    # key: one row per claim), and the import already filled the video's from its claims' assets,
    # as it does for every report. Keep those: overwriting them would make a re-import of this
    # report, or a pull of the emulator's, change them back. Our own values only fill what no
    # claim gave (videos we do not claim).
    video.isrc = video.isrc or spec.isrc
    video.custom_id = video.custom_id or spec.custom_id
    video_apply_remote_state(
        video=video,
        remote=spec.remote,
        source=Video.SnapshotSource.DEMO,
        etag=spec.etag,
        fetched_at=fetched_at,
    )
    # A few videos get a wanted value YouTube does not have yet. Assign new values, never mutate
    # in place: the snapshot and the wanted field may share one list or dict.
    if spec.pending_changes:
        for name, value in spec.pending_changes.items():
            setattr(video, name, value)
        video_refresh_derived(video, edited=list(spec.pending_changes))


@transaction.atomic
def demo_catalogue_load(
    *,
    seed: int,
    video_count: int,
    today: date,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> DemoLoadResult:
    """Load the demo catalogue through a report import; fails if the demo owner or its ids exist."""
    catalogue = demo_catalogue(seed=seed, video_count=video_count, today=today)
    if ContentOwner.objects.filter(pk=catalogue.owner_id).exists():
        raise DemoCatalogueError("The demo catalogue is already loaded; remove it first (--reset).")
    clashing = Channel.objects.filter(pk__in=[c.id for c in catalogue.channels]).values_list("pk", flat=True)
    if clashing:
        raise DemoCatalogueError(
            f"Channel {clashing[0]} already exists outside the demo content owner "
            "(left over from a deleted demo owner?); delete it or load with another --seed."
        )
    owner = ContentOwner.objects.create(id=catalogue.owner_id, name=catalogue.owner_name)
    Channel.objects.bulk_create(
        Channel(
            id=c.id,
            content_owner=owner,
            title=c.title,
            description=c.description,
            country=c.country,
            published_at=c.published_at,
            subscriber_count=c.subscriber_count,
            privacy_status=Channel.Privacy.PUBLIC,
            is_linked=True,
        )
        for c in catalogue.channels
    )
    Policy.objects.bulk_create(
        Policy(id=p.id, content_owner=owner, name=p.name, description=p.description, rules=p.rules)
        for p in catalogue.policies
    )

    with tempfile.TemporaryDirectory(prefix="ytcms-demo-") as folder:
        path = os.path.join(folder, DEMO_REPORT_NAME)
        _write_demo_report(catalogue, owner=owner, path=path, batch_size=batch_size)
        report = _import_demo_report(path, owner=owner)

    # The same seed gives the same catalogue again: stream it a second time for what the
    # report did not carry, instead of keeping every video in memory.
    fetched_at = timezone.now()
    totals = defaultdict(int)
    per_channel = defaultdict(lambda: [0, 0])  # channel id -> [videos, views]
    update_fields = [
        f.name for f in Video._meta.concrete_fields if not f.primary_key and f.name != "created_at"
    ]

    def complete(batch: list[DemoVideo]) -> None:
        stored = Video.objects.in_bulk([spec.id for spec in batch])
        videos = []
        changed_fields: set[str] = set()
        for spec in batch:
            video = stored[spec.id]
            before = [getattr(video, name) for name in update_fields]
            _complete_from_api(spec, video, fetched_at=fetched_at)
            changed_fields.update(
                name for name, old in zip(update_fields, before, strict=True) if getattr(video, name) != old
            )
            videos.append(video)
        # bulk_update writes one CASE per field over its whole batch: cost grows with the batch
        # squared and with the fields, so small statements of only the fields the report lacked.
        if changed_fields:
            Video.objects.bulk_update(videos, sorted(changed_fields), batch_size=BULK_UPDATE_BATCH)
        # Claims the report does not list (not active: disputed, inactive, ...) come from the
        # Content ID API, with their status.
        Claim.objects.bulk_create(
            [
                Claim(
                    id=c.id,
                    video_id=spec.id,
                    asset_id=c.asset_id,
                    content_type=c.content_type,
                    policy_id=c.policy_id,
                    status=c.status,
                    origin=c.origin,
                    is_partner_uploaded=c.is_partner_uploaded,
                )
                for spec in batch
                for c in spec.claims
                if c.status != Claim.Status.ACTIVE
            ],
            batch_size=batch_size,
        )
        totals["videos"] += len(videos)
        totals["pending"] += sum(video.has_pending_changes for video in videos)
        totals["claims"] += sum(len(spec.claims) for spec in batch)
        for video in videos:
            per_channel[video.channel_id][0] += 1
            per_channel[video.channel_id][1] += video.view_count or 0
        # With DEBUG on, Django keeps every statement; a big load's updates would pile up.
        reset_queries()
        if progress is not None:
            progress(totals["videos"], catalogue.video_count)

    batch: list[DemoVideo] = []
    for spec in demo_catalogue(seed=seed, video_count=video_count, today=today).videos:
        batch.append(spec)
        if len(batch) >= batch_size:
            complete(batch)
            batch = []
    if batch:
        complete(batch)

    channels = list(Channel.objects.filter(content_owner=owner))
    for channel in channels:
        channel.video_count, channel.view_count = per_channel[channel.pk]
    Channel.objects.bulk_update(channels, ["video_count", "view_count"])
    return DemoLoadResult(
        channels=len(catalogue.channels),
        policies=len(catalogue.policies),
        videos=totals["videos"],
        pending=totals["pending"],
        claims=totals["claims"],
        assets=Asset.objects.filter(content_owner=owner).count(),
        report_id=report.pk,
        report_rows=report.rows_read,
    )


def _demo_user(username: str, group_name: str) -> tuple:
    User = get_user_model()
    try:
        group = Group.objects.get(name=group_name)
    except Group.DoesNotExist as error:
        raise DemoCatalogueError(
            f"Group {group_name!r} is missing; run `manage.py migrate` (channels_app 0002 creates it)."
        ) from error
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    password = None
    if created:
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.add(group)
    return user, password


def demo_users_exist() -> bool:
    return (
        get_user_model().objects.filter(username__in=[DEMO_MANAGER_USERNAME, DEMO_VIEWER_USERNAME]).exists()
    )


def _demo_membership(*, user, role: str, content_owner=None, channel=None) -> None:
    """Grant the demo user its role through membership_save, so the grant has its audit row like
    one made in the admin (acting user: none, the command)."""
    membership = Membership.objects.filter(user=user, content_owner=content_owner, channel=channel).first()
    if membership is None:
        membership = Membership(user=user, content_owner=content_owner, channel=channel)
    membership.role = role
    membership_save(membership=membership, acting_user=None)


@transaction.atomic
def demo_users_ensure() -> list[DemoUser]:
    """Create the demo manager and viewer when missing, and give them their memberships.

    Existing users keep their password; only a new user's password is returned.
    """
    try:
        owner = ContentOwner.objects.get(pk=DEMO_OWNER_ID)
    except ContentOwner.DoesNotExist as error:
        raise DemoCatalogueError("Load the demo catalogue before creating its users.") from error
    # The viewer sees the biggest channel, so the difference between the roles shows.
    channel = owner.channels.order_by("-video_count", "title").first()
    if channel is None:
        raise DemoCatalogueError("The demo content owner has no channel.")

    manager, manager_password = _demo_user(DEMO_MANAGER_USERNAME, RIGHTS_MANAGER_GROUP)
    _demo_membership(user=manager, content_owner=owner, role=Role.MANAGER)
    viewer, viewer_password = _demo_user(DEMO_VIEWER_USERNAME, VIEWER_GROUP)
    _demo_membership(user=viewer, channel=channel, role=Role.VIEWER)
    return [
        DemoUser(manager.username, Role.MANAGER.label, owner.name, manager_password),
        DemoUser(viewer.username, Role.VIEWER.label, channel.title, viewer_password),
    ]
