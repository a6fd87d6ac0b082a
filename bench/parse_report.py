"""Time ReportReader against a bare csv.reader over the same a4 report, in the same process.

    .venv/bin/python bench/parse_report.py [--rows 200000] [--gzip] [--repeat 3] [--file PATH]

Generates a Reporting API a4 report of about N data rows with tests/reports/generators/
gen_a4_report.py (about 1.18 rows per video, so --videos is N / 1.18), then prints rows/s for:
  baseline   csv.reader over the file opened as UTF-8 text (no typing, no checks)
  reader     ReportReader: decoding per line, header mapping, typed values, claims, duplicates
and the reader/baseline ratio. Times are this process's CPU time (time.process_time), best of
--repeat runs each, so other load on a shared machine skews them less. --file reuses a report.

Target: the ingestion pipeline aims at ~50k rows/s end to end on one core, so the parser must
leave most of that budget to the database writes.
"""

import argparse
import csv
import gzip
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reports.parsing import ReportReader, RowError  # noqa: E402

GENERATOR = ROOT / "tests" / "reports" / "generators" / "gen_a4_report.py"
ROWS_PER_VIDEO = 1.18  # the generator's claim mix: 0-3 claims, one row per claim, at least one


def generate(path: Path, rows: int, seed: int) -> None:
    videos = max(1, round(rows / ROWS_PER_VIDEO))
    subprocess.run(
        [sys.executable, str(GENERATOR), "--videos", str(videos), "--seed", str(seed), "--out", str(path)],
        check=True,
        stderr=subprocess.DEVNULL,
    )


def open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def time_baseline(path: Path) -> tuple[int, float]:
    started = time.process_time()
    with open_text(path) as text:
        rows = sum(1 for _ in csv.reader(text)) - 1
    return rows, time.process_time() - started


def time_reader(path: Path) -> tuple[int, int, float]:
    started = time.process_time()
    rows = errors = 0
    with open(path, "rb") as stream:
        for item in ReportReader(stream, name=path.name):
            if item.__class__ is RowError:
                errors += 1
            else:
                rows += 1
    return rows, errors, time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gzip", action="store_true", help="time a .csv.gz instead of a .csv")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, help="an existing report to time instead of generating one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            path = args.file
        else:
            path = Path(tmp) / ("report.csv.gz" if args.gzip else "report.csv")
            started = time.perf_counter()  # the generator runs in a child process
            generate(path, args.rows, args.seed)
            elapsed = time.perf_counter() - started
            print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB in {elapsed:.1f} s")

        baseline = min((time_baseline(path) for _ in range(args.repeat)), key=lambda r: r[1])
        reader = min((time_reader(path) for _ in range(args.repeat)), key=lambda r: r[2])

    base_rate = baseline[0] / baseline[1]
    reader_rate = (reader[0] + reader[1]) / reader[2]
    print(f"baseline csv.reader : {baseline[0]:>9,} rows in {baseline[1]:6.2f} s = {base_rate:>9,.0f} rows/s")
    print(
        f"ReportReader        : {reader[0] + reader[1]:>9,} rows in {reader[2]:6.2f} s = {reader_rate:>9,.0f} rows/s"
        f"  ({reader[1]} row errors)"
    )
    print(f"ratio reader/baseline: {reader_rate / base_rate:.2f}  (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
