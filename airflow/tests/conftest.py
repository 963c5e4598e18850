"""A real Airflow (the pinned one in .venv-airflow) in an isolated AIRFLOW_HOME, driven through its CLI.

scripts/test-airflow.sh prepares AIRFLOW_HOME (temp dir, sqlite metadata DB, `airflow db migrate`) and runs
pytest; run directly, the `airflow` fixture prepares one itself. Nothing is written into the repository:
every AIRFLOW_HOME and MEDALLION_HOME lives in a temp dir, and Python writes no bytecode next to the DAG.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import DAGS_FOLDER, EVENTS_PER_HOUR, REPOSITORY, SUPPORT, Airflow, clean_environment, medallion_cli


def _prepared(home: Path) -> bool:
    return (home / "airflow.db").exists()


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    assert (REPOSITORY / "dist" / "cli" / "main.js").exists(), "build the CLI first: npm run build"
    given = os.environ.get("AIRFLOW_HOME")
    home = Path(given) if given and _prepared(Path(given)) else tmp_path_factory.mktemp("airflow-home")
    env = {
        **clean_environment(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # airflow_local_settings.py: shortens retry_delay when MEDALLION_TEST_RETRY_DELAY_SECONDS is set.
        "PYTHONPATH": str(SUPPORT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MEDALLION_EVENTS_PER_HOUR": EVENTS_PER_HOUR,
        "MEDALLION_LOCK_TIMEOUT_MS": "300000",
        "TMPDIR": str(tmp_path_factory.mktemp("tmp")),
    }
    instance = Airflow(home=home, env=env)
    if not _prepared(home):
        instance.run("db", "migrate")
    return instance


@pytest.fixture(scope="session")
def cli_graph() -> dict[str, set[str]]:
    done = subprocess.run([*medallion_cli(), "dag", "--json"], capture_output=True, text=True, check=True, timeout=60)
    return {task["id"]: set(task["upstream"]) for task in json.loads(done.stdout)["tasks"]}
