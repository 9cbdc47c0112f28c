"""`make test`: the whole suite on SQLite, then again on PostgreSQL, then a summary.

A part that cannot run here (no PostgreSQL server, no Chromium) is skipped
with the command that installs it; with ACADEMY_REQUIRE_ALL=1 (as in CI) a
skipped part is a failure. Extra arguments go to pytest (e.g. ``-k login``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_pass(backend: str, extra: list[str]) -> dict:
    report = Path(tempfile.mkstemp(prefix=f"academy-{backend}-", suffix=".xml")[1])
    env = {**os.environ, "ACADEMY_TEST_BACKEND": backend}
    print(f"\n=== Test suite on {backend} ===", flush=True)
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", f"--junitxml={report}",
                            "-p", "no:cacheprovider", *extra], cwd=ROOT, env=env)
    counts = {"backend": backend, "code": code, "passed": 0, "failed": 0, "skipped": 0, "reasons": set()}
    if report.stat().st_size:
        for case in ET.parse(report).getroot().iter("testcase"):
            skipped = case.find("skipped")
            if case.find("failure") is not None or case.find("error") is not None:
                counts["failed"] += 1
            elif skipped is not None:
                counts["skipped"] += 1
                counts["reasons"].add(skipped.get("message", "").removeprefix("Skipped: "))
            else:
                counts["passed"] += 1
    report.unlink(missing_ok=True)
    if code not in (0, 5) and counts["failed"] == 0:
        counts["failed"] += 1  # pytest itself failed (collection or usage error)
    return counts


def main(argv: list[str]) -> int:
    require_all = os.environ.get("ACADEMY_REQUIRE_ALL") == "1"
    results = [run_pass(backend, argv) for backend in ("sqlite", "postgresql")]
    print("\n=== Summary ===")
    for result in results:
        print(f"{result['backend']:>10}: {result['passed']} passed, {result['failed']} failed, "
              f"{result['skipped']} skipped")
        for reason in sorted(result["reasons"]):
            print(f"{'':>12}skipped: {reason}")
    passed = sum(r["passed"] for r in results)
    failed = sum(r["failed"] for r in results)
    skipped = sum(r["skipped"] for r in results)
    if skipped and require_all:
        print("ACADEMY_REQUIRE_ALL=1: skipped tests count as failures.")
        failed += skipped
    if passed == 0:
        failed += 1
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
