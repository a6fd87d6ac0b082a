"""Video ids on the command line, typed as a person types them (#16, item 5).

YouTube ids may start with "-" (3 in 120 generated ones did): argparse takes `--video -Ab…` for an
option, so such an id is attached with "=" or read from a file or stdin. Every flag counts:
`--video A --video B` pulls A and B.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from videos.models import Video

from .conftest import CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY, api_requests, subprocess_database_url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DASH_SONG, DASH_LIVE = "-dashsong01", "-dashlive01"


@pytest.fixture
def dash_videos(emulator, catalogue, channel_a1, make_video, owner_a, connect):
    """Two videos of owner A whose ids start with '-', in ytcms and (retitled) at YouTube."""
    connect(owner_a)
    for video_id in (DASH_SONG, DASH_LIVE):
        make_video(channel_a1, video_id=video_id, title="Old title")
        stored = emulator.state.video("a1song00001")
        stored["id"] = video_id
        stored["snippet"] = {
            k: v for k, v in stored["snippet"].items() if k not in ("localized", "thumbnails")
        }
        stored["snippet"]["title"] = f"{video_id} at YouTube"
        emulator.state.load({"videos": [stored]})
    return emulator


def _pulled_ids(emulator) -> list[str]:
    return [
        video_id
        for request in api_requests(emulator, "youtube.videos.list")
        for video_id in request["params"]["id"].split(",")
    ]


def _pull(*args) -> list[str]:
    out = io.StringIO()
    call_command("youtube_pull", *args, stdout=out)
    return out.getvalue().splitlines()


def test_every_repeated_video_flag_counts(dash_videos):
    lines = _pull("--video", "a1song00001", "--video", "a1live00001")

    assert lines[-1].startswith("Read 2 videos in 1 call")
    assert sorted(_pulled_ids(dash_videos)) == ["a1live00001", "a1song00001"]


def test_ids_starting_with_a_dash_are_attached_with_equals_and_several_fit_one_flag(dash_videos):
    lines = _pull(f"--video={DASH_SONG}", f"--video={DASH_LIVE},a1song00001", "--video", "a1live00001")

    assert lines[-1].startswith("Read 4 videos (2 changed on YouTube outside ytcms) in 1 call")
    assert sorted(_pulled_ids(dash_videos)) == sorted([DASH_SONG, DASH_LIVE, "a1song00001", "a1live00001"])
    assert Video.objects.get(pk=DASH_SONG).remote_snapshot["title"] == f"{DASH_SONG} at YouTube"


def test_ids_come_from_a_file(dash_videos, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{DASH_SONG}\n{DASH_LIVE}, a1song00001\n\n", encoding="utf-8")

    lines = _pull("--videos-file", str(ids))

    assert lines[-1].startswith("Read 3 videos (2 changed on YouTube outside ytcms) in 1 call")
    assert sorted(_pulled_ids(dash_videos)) == sorted([DASH_SONG, DASH_LIVE, "a1song00001"])


def test_a_word_that_is_no_video_id_is_refused_before_any_call(dash_videos):
    with pytest.raises(CommandError, match=r"Not a video id \(11 characters.*'-dash'"):
        _pull("--video=-dash", "--video", "a1song00001")

    assert api_requests(dash_videos) == []


def test_an_unreadable_ids_file_is_one_line(dash_videos, tmp_path):
    with pytest.raises(CommandError, match=r"^Cannot read .*missing.txt: No such file or directory$"):
        _pull("--videos-file", str(tmp_path / "missing.txt"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ids_piped_into_the_command_in_a_shell(dash_videos, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(tmp_path),
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "YTCMS_VAR_DIR": str(tmp_path),
        "LOG_TO_FILE": "false",
        "YOUTUBE_API_ENDPOINT": dash_videos.url + "/",
        "YOUTUBE_TOKEN_URI": dash_videos.token_uri,
        "YOUTUBE_CLIENT_ID": CLIENT_ID,
        "YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
        "YOUTUBE_EMULATOR": "true",
    }
    for name in ("TEST_DATABASE_NAME", "YOUTUBE_API_KEY", "YOUTUBE_QUOTA_PROJECT"):
        env.pop(name, None)

    run = subprocess.run(
        [sys.executable, "manage.py", "youtube_pull", "--videos-file", "-", "--video", "a1live00001"],
        cwd=ROOT,
        env=env,
        input=f"{DASH_SONG} {DASH_LIVE}\na1song00001\n",
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1].startswith(
        "Read 4 videos (2 changed on YouTube outside ytcms) in 1 call"
    )
    assert sorted(_pulled_ids(dash_videos)) == sorted([DASH_SONG, DASH_LIVE, "a1song00001", "a1live00001"])
