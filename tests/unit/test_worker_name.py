"""A validation worker's name is stable across restarts of its process slot, unique among
live processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NAME_OF_A_PROCESS = (
    "from acmehub import bootstrap; from acmehub.config import load_settings;"
    " print(bootstrap.worker_name(load_settings(None)))"
)


def _name_in_a_new_process(state: Path) -> str:
    env = {**os.environ, "ACMEHUB_STATE_DIR": str(state)}
    done = subprocess.run(
        [sys.executable, "-c", NAME_OF_A_PROCESS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_restarted_process_gets_the_same_name(tmp_path: Path) -> None:
    first = _name_in_a_new_process(tmp_path / "state")
    assert first.endswith(":0")
    assert _name_in_a_new_process(tmp_path / "state") == first  # the slot was freed at exit
    assert _name_in_a_new_process(tmp_path / "other") != first  # another deployment


def test_live_workers_never_share_a_name(tmp_path: Path) -> None:
    env = {**os.environ, "ACMEHUB_STATE_DIR": str(tmp_path / "state")}
    three = NAME_OF_A_PROCESS.replace("print(", "print(*(").replace(
        "(None)))", "(None)) for _ in range(3)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", three], env=env, capture_output=True, text=True, check=True
    )
    names = done.stdout.split()
    assert len(set(names)) == 3
    assert [name.rsplit(":", 1)[1] for name in names] == ["0", "1", "2"]
