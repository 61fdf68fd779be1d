"""The short, bounded fuzzing profile CI runs (issue 15 §8): every fuzz/*.py atheris target
replays its seed corpus (fuzz/corpus/<target>/, crashes found earlier among them) and then
fuzzes for a few seconds, in a subprocess; a crash fails the test with the fuzzer's report.
`make fuzz` runs the same targets for FUZZ_SECONDS each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = sorted((ROOT / "fuzz").glob("*.py"))
SECONDS = 3


def test_there_are_targets() -> None:
    assert {"jws", "csr"} <= {t.stem for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.stem)
def test_target_survives_a_short_run(target: Path, tmp_path: Path) -> None:
    seeds = ROOT / "fuzz" / "corpus" / target.stem
    found = tmp_path / "corpus"
    found.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        str(target),
        f"-max_total_time={SECONDS}",
        f"-artifact_prefix={tmp_path}/",
        str(found),
        *([str(seeds)] if seeds.is_dir() else []),
    ]
    run = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60 + SECONDS, check=False
    )
    report = run.stdout[-2000:] + run.stderr[-4000:]
    assert run.returncode == 0, report
    assert not list(tmp_path.glob("crash-*")), report
