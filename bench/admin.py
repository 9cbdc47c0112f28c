"""Administration at scale: 10,000 demo clinicians, then the dashboard, the status matrix and the CSV export.

    python -m bench.admin [--clinicians 10000] [--database-url URL] [--runs 15]

Goals (administration issue): demo data in under 60 s; dashboard and the
first matrix page each under 300 ms at the median; the full CSV export under
3 s with memory that does not grow with the rows. Pages are timed in-process
through the WSGI app (server time, no network); every row also shows the
ratio to a baseline measured in the same run: the trivial /healthz route.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from flask_migrate import upgrade

from academy import create_app
from academy.accounts.service import create_user
from academy.admin.demo_data import create_demo_data
from academy.content.sync import Source, import_content

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark administrator password"


def median_ms(client, url: str, runs: int) -> float:
    client.get(url)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def export(client, query: str = "", trace_memory: bool = False) -> tuple[float, int, int]:
    """Seconds, rows and peak traced memory (bytes; 0 untraced) of the matrix CSV (all of it, or filtered).

    Time and memory come from separate runs: tracing every allocation slows the
    export about 2.5 times.
    """
    if trace_memory:
        tracemalloc.start()
    start = time.perf_counter()
    response = client.get("/admin/matrix?export=csv" + query, buffered=False)
    rows = sum(chunk.count(b"\n") for chunk in response.response)
    seconds = time.perf_counter() - start
    peak = 0
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, rows - 1, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clinicians", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "SECRET_KEY": "bench", "ACADEMY_2FA_REQUIRED_ROLES": "", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            import_content([Source(ROOT / "courses", ROOT / "quizzes")])
            report = create_demo_data(args.clinicians)
            create_user("bench-admin@example.org", "Bench Admin", "administrator", PASSWORD)
        # As wsgi.py does once the app is built: startup objects leave garbage collection.
        gc.collect()
        gc.freeze()
        client = app.test_client()
        client.post("/login", data={"email": "bench-admin@example.org", "password": PASSWORD})
        baseline = median_ms(client, "/healthz", args.runs)
        dashboard = median_ms(client, "/admin/", args.runs)
        matrix = median_ms(client, "/admin/matrix", args.runs)
        filtered = median_ms(client, "/admin/matrix?status=expiring&course=kap-medical-screening", args.runs)
        seconds, rows, _ = export(client)
        _, _, peak = export(client, trace_memory=True)
        _, small_rows, small_peak = export(client, "&q=zz", trace_memory=True)  # a small export, to compare
    print(f"database: {url.split(':')[0]}; clinicians: {args.clinicians}; demo data: {report.seconds:.1f} s "
          f"({report.counts.get('attempts', 0)} attempts, {report.counts.get('certificates', 0)} certificates)")
    print("| measurement | median ms | ratio to /healthz | goal | met |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| /healthz (baseline) | {baseline:.1f} | 1.0 | – | – |")
    for name, value in (("dashboard", dashboard), ("status matrix, first page", matrix),
                        ("status matrix, filtered by status", filtered)):
        print(f"| {name} | {value:.1f} | {value / baseline:.0f} | < 300 ms | {'yes' if value < 300 else 'NO'} |")
    print(f"| demo data | {report.seconds * 1000:.0f} | – | < 60 s | {'yes' if report.seconds < 60 else 'NO'} |")
    print(f"| full CSV export ({rows} rows) | {seconds * 1000:.0f} | – | < 3 s | {'yes' if seconds < 3 else 'NO'} |")
    # Flat: the whole export needs only a few MB more than an empty one (holding 10,000 rows of
    # ORM objects or CSV text would take tens of MB).
    print(f"| export memory: peak {peak / 1e6:.1f} MB for {rows} rows vs {small_peak / 1e6:.1f} MB for "
          f"{small_rows} rows | – | – | flat | {'yes' if peak - small_peak < 8e6 else 'NO'} |")


if __name__ == "__main__":
    main()
