"""Duplicate-key detection in bounded memory: SeenKeys spills to disk and still finds every repeat."""

import io
import tracemalloc

import pytest

from reports.parsing import ReportReader, ReportRow, RowError
from reports.parsing.reader import SeenKeys
from tests.reports.helpers import a4_bytes, a4_row

SMALL_TABLE = 4096  # the smallest table: it spills after 2,048 keys


def video_id(n: int) -> str:
    return f"v{n:010d}"


def test_every_key_is_new_once_and_repeated_after_that_across_spills():
    seen = SeenKeys(max_table_slots=SMALL_TABLE, bloom_bits=1 << 16)
    keys = [video_id(n) for n in range(20_000)]

    assert all(seen.add(key) for key in keys)
    assert len(seen.runs) >= 8  # most keys now live on disk only
    assert not any(seen.add(key) for key in keys[::7])
    assert not seen.add(keys[0]) and not seen.add(keys[-1])
    assert all(seen.add(video_id(n)) for n in range(20_000, 21_000))
    seen.close()


def test_memory_stays_bounded_while_the_unbounded_table_would_keep_growing():
    def peak_bytes(**limits) -> int:
        tracemalloc.start()
        seen = SeenKeys(**limits)
        for n in range(60_000):
            seen.add(n * 7919 + 1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        seen.close()
        return peak

    bounded = peak_bytes(max_table_slots=1 << 14, bloom_bits=1 << 18)
    unbounded = peak_bytes(max_table_slots=1 << 30)

    assert bounded < 2**20  # table 128 KiB + filter 32 KiB + sorting one run of 8,192 keys
    assert unbounded > 2 * bounded


@pytest.mark.parametrize("repeat_at", [5, 2_500, 9_999])
def test_reader_rejects_a_repeated_key_after_the_table_spilled(monkeypatch, repeat_at):
    monkeypatch.setattr(SeenKeys, "MAX_TABLE_SLOTS", SMALL_TABLE)
    monkeypatch.setattr(SeenKeys, "BLOOM_BITS", 1 << 16)
    ids = [f"{n:011d}" for n in range(10_000)]
    rows = [a4_row(i) for i in ids] + [a4_row(ids[repeat_at])]

    reader = ReportReader(io.BytesIO(a4_bytes(*rows)), name="report.csv")
    items = list(reader)

    errors = [item for item in items if isinstance(item, RowError)]
    assert sum(isinstance(item, ReportRow) for item in items) == 10_000
    assert [(e.line_number, e.video_id) for e in errors] == [(10_002, ids[repeat_at])]
    assert (
        "repeats the video_id, channel_id, claim_id, asset_id, custom_id of an earlier row"
        in errors[0].reason
    )
    assert reader._seen.runs == []  # closed with the reader: the temporary files are gone
