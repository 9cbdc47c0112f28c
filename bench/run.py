"""`make bench`: every benchmark on SQLite and on PostgreSQL, written to bench/results.md.

PostgreSQL is a throwaway cluster (Debian's server binaries) unless
ACADEMY_BENCH_DATABASE_URL names a server to create databases on.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ["bench.content_import", "bench.web", "bench.certificates", "bench.admin"]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?")
    return (f"{platform.platform()}; {os.cpu_count()} cores ({cpu}); {int(memory) // 1024 // 1024} GiB; "
            f"Python {platform.python_version()}")


def run(module: str, url: str | None) -> str:
    command = [sys.executable, "-m", module] + (["--database-url", url] if url else [])
    print(f"--- {module} on {url.split(':')[0] if url else 'sqlite'}", flush=True)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    output = result.stdout if result.returncode == 0 else f"FAILED ({result.returncode}):\n```\n{result.stderr[-3000:]}\n```"
    print(output, flush=True)
    return output


def postgres_databases():
    """Yield a fresh database URL per benchmark on a PostgreSQL server."""
    server = os.environ.get("ACADEMY_BENCH_DATABASE_URL")
    cluster = None
    if not server:
        from tests.support.pgcluster import Cluster

        cluster = Cluster()
        server = cluster.start()
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        for index, module in enumerate(BENCHES):
            name = f"academy_bench_{index}"
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            yield module, make_url(server).set(drivername="postgresql+psycopg", database=name) \
                .render_as_string(hide_password=False)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
        if cluster is not None:
            cluster.stop()


def main() -> None:
    sections = [f"# Benchmark results\n\nMeasured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on: {machine()}.\n"
                "Every figure comes with a baseline measured in the same run.\n"]
    sections.append("## SQLite\n")
    sections += [run(module, None) for module in BENCHES]
    sections.append("## PostgreSQL\n")
    sections += [run(module, url) for module, url in postgres_databases()]
    (ROOT / "bench" / "results.md").write_text("\n".join(sections))
    print("Written to bench/results.md")


if __name__ == "__main__":
    main()
