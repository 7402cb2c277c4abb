"""The nightly-scale benchmark runs end to end at a tiny size (its figures are not checked here:
speed is measured by running the benchmark, never by a timed test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("celery", reason="celery is not installed (pip install 'sfsync[celery]')")
pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'sfsync[postgres]')")

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_nightly_scale_benchmark_syncs_every_dossier_and_prints_its_figures():
    redis_url = os.environ.get("SFSYNC_TEST_REDIS_URL")
    if not redis_url or not os.environ.get("SFSYNC_TEST_POSTGRES_DSN"):
        pytest.skip("SFSYNC_TEST_POSTGRES_DSN and SFSYNC_TEST_REDIS_URL are needed")
    from urllib.parse import urlsplit, urlunsplit

    # Not the fan-out tests' database (SFSYNC_TEST_BENCH_REDIS_DB: when 11 is someone else's).
    own = urlunsplit(urlsplit(redis_url)._replace(path=f"/{os.environ.get('SFSYNC_TEST_BENCH_REDIS_DB', '11')}"))
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_nightly_scale.py"), "--dossiers", "2", "--connections", "1",
         "--workers", "1", "--volume", "2", "--page-size", "10", "--redis", own, "--timeout", "120"],
        capture_output=True, text=True, timeout=240, cwd=BENCHMARKS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")]))},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "2 dossiers over 1 connections, 1 workers" in out
    assert "per connection (sliding)" in out  # the default: the firm's connection is the budget
    assert "429 received 0" in out
    assert "runs 2, failed 0" in out
    assert "requests per dossier" in out and "rate-limit lower bound" in out
