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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import DAGS_FOLDER, EVENTS_PER_HOUR, LOGICAL_DATE, POOL, REPOSITORY, SUPPORT, Airflow, DagRun, clean_environment, medallion_cli, snapshot, tail


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
    # The pool the DAG's tasks take a slot of, created as the README says (a DAG cannot create one).
    instance.run("pools", "set", POOL, "1", "Medallion: one task at a time on the embedded engines")
    return instance


@pytest.fixture(scope="session")
def cli_graph() -> dict[str, set[str]]:
    done = subprocess.run([*medallion_cli(), "dag", "--json"], capture_output=True, text=True, check=True, timeout=60)
    return {task["id"]: set(task["upstream"]) for task in json.loads(done.stdout)["tasks"]}


@dataclass
class Deployment:
    """The first DAG run's deployment: Airflow, a MEDALLION_HOME, a lake from a Variable, OpenLineage on."""

    airflow: Airflow
    medallion_home: Path
    lake: Path
    # Where the OpenLineage provider (Airflow's events) and Medallion (its task events) append their events.
    airflow_events: Path
    medallion_events: Path
    env: dict[str, str]

    @property
    def env_without_openlineage(self) -> dict[str, str]:
        """The same deployment with OpenLineage off: the provider disabled (its macros absent), Medallion silent."""
        return {key: value for key, value in self.env.items() if not key.startswith(("OPENLINEAGE_", "AIRFLOW__OPENLINEAGE__"))}


# The job namespaces of the two producers: different, so that a parent can be told from a child by it.
AIRFLOW_OPENLINEAGE_NAMESPACE = "airflow-test"
MEDALLION_OPENLINEAGE_NAMESPACE = "medallion-test"


@pytest.fixture(scope="session")
def deployment(airflow: Airflow, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    home = tmp_path_factory.mktemp("medallion-home")
    lake = tmp_path_factory.mktemp("lake-from-variable")
    events = tmp_path_factory.mktemp("openlineage")
    airflow_events, medallion_events = events / "airflow.jsonl", events / "medallion.jsonl"
    env = airflow.environment(
        home,
        # The lake location comes from an Airflow Variable (as env var: the same lookup as the metadata DB).
        AIRFLOW_VAR_MEDALLION_LAKE_URL=str(lake),
        # The OpenLineage provider with its file transport, configured in Airflow's way...
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({"type": "file", "log_file_path": str(airflow_events), "append": True}),
        AIRFLOW__OPENLINEAGE__NAMESPACE=AIRFLOW_OPENLINEAGE_NAMESPACE,
        # `airflow dags test` runs each task inside the process that has the sqlite metadata DB open, and the
        # provider's default forks a child per task event (killed after 10 s): SQLite forbids using a
        # connection across fork(). A thread is the provider's own alternative (a deployed worker has no DB).
        AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD="true",
        # ... and Medallion's, through the OpenLineage clients' variables (the provider's own settings win over
        # these for Airflow's events, so each producer writes its own file).
        OPENLINEAGE__TRANSPORT__TYPE="file",
        OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(medallion_events),
        OPENLINEAGE__TRANSPORT__APPEND="true",
        OPENLINEAGE_NAMESPACE=MEDALLION_OPENLINEAGE_NAMESPACE,
    )
    return Deployment(airflow=airflow, medallion_home=home, lake=lake, airflow_events=airflow_events, medallion_events=medallion_events, env=env)


@pytest.fixture(scope="session")
def first_run(deployment: Deployment) -> tuple[DagRun, dict[str, list[dict[str, Any]]]]:
    """`airflow dags test` of LOGICAL_DATE on the embedded engines: the run and the gold rows it left."""
    run = deployment.airflow.dags_test(LOGICAL_DATE, deployment.env)
    assert run.state == "success", f"DAG run {run.run_id} is {run.state}:\n{tail(run.output, 150)}"
    assert run.returncode == 0
    return run, snapshot(deployment.medallion_home)
