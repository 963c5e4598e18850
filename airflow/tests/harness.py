"""Helpers of the Airflow suite: a real Airflow driven through its CLI, and the Medallion CLI."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPOSITORY / "airflow" / "dags"
DAG_FILE = DAGS_FOLDER / "medallion_etl.py"
DAG_ID = "medallion_etl"
SUPPORT = Path(__file__).resolve().parent / "support"

# The seed's 15 tasks and dependencies (the two gold aggregations in parallel).
EXPECTED_UPSTREAM: dict[str, set[str]] = {
    "ensure_all_tables": set(),
    "register_catalog": {"ensure_all_tables"},
    "start_pipeline_run": {"register_catalog"},
    "load_bronze": {"start_pipeline_run"},
    "quarantine_invalid_rows": {"load_bronze"},
    "transform_silver": {"quarantine_invalid_rows"},
    "update_dim_users": {"transform_silver"},
    "snapshot_gold_history": {"update_dim_users"},
    "aggregate_gold_hourly": {"snapshot_gold_history"},
    "aggregate_gold_daily": {"snapshot_gold_history"},
    "verify_pipeline": {"aggregate_gold_hourly", "aggregate_gold_daily"},
    "export_gold_to_s3": {"verify_pipeline"},
    "load_aurora": {"export_gold_to_s3"},
    "validate_delivery": {"load_aurora"},
    "complete_pipeline_run": {"validate_delivery"},
}

EVENTS_PER_HOUR = "2000"

# The pool every task of the DAG takes a slot of, as the README creates it for the embedded engines.
POOL = "medallion_home"

# The first DAG run (conftest.py), shared by test_dag_run.py and test_openlineage.py. Its manual data interval,
# logical date 11:00 under @hourly, is the hour before: [10:00, 11:00).
LOGICAL_DATE = "2026-11-23T11:00:00+00:00"
WINDOW_START = "2026-11-23 10:00:00"
WINDOW_END = "2026-11-23 11:00:00"
# The same interval again (a manual run's data interval is the last whole hour before its logical date), one
# second later: `airflow dags test` deletes the DAG run of the logical date it is given, with its task instances,
# XComs and rendered fields, which the tests of the first run read.
RERUN_LOGICAL_DATE = "2026-11-23T11:00:01+00:00"


def medallion_cli() -> list[str]:
    linked = REPOSITORY / "node_modules" / ".bin" / "medallion"
    if linked.exists():
        return [str(linked)]
    return ["node", str(REPOSITORY / "dist" / "cli" / "main.js")]


def clean_environment() -> dict[str, str]:
    """The caller's environment without any Medallion, Airflow or OpenLineage configuration that could leak in."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MEDALLION_", "AIRFLOW_", "AIRFLOW__", "OPENLINEAGE_")) and key != "PYTHONPATH"
    }


@dataclass
class DagRun:
    run_id: str
    state: str
    returncode: int
    output: str


@dataclass
class Airflow:
    """One isolated Airflow installation: home, environment, and helpers over its CLI and metadata DB."""

    home: Path
    env: dict[str, str]

    def environment(self, medallion_home: Path | None = None, **extra: str) -> dict[str, str]:
        env = dict(self.env)
        if medallion_home is not None:
            env["MEDALLION_HOME"] = str(medallion_home)
        env.update(extra)
        return env

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} exited with {done.returncode}:\n{tail(done.stdout + done.stderr)}")
        return done

    def python(self, code: str, env: dict[str, str] | None = None) -> Any:
        """Runs Python with this Airflow and returns the JSON its last stdout line prints."""
        done = subprocess.run([sys.executable, "-c", code], env=env or self.env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise AssertionError(f"python exited with {done.returncode}:\n{tail(done.stdout + done.stderr)}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def dags_test(self, logical_date: str, env: dict[str, str]) -> DagRun:
        """`airflow dags test medallion_etl <logical date>`: one real DAG run, tasks executed in-process."""
        before = {row["run_id"] for row in self.sql("SELECT run_id FROM dag_run WHERE dag_id = ?", DAG_ID)}
        done = self.run("dags", "test", DAG_ID, logical_date, env=env, check=False, timeout=900)
        runs = [row for row in self.sql("SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id", DAG_ID) if row["run_id"] not in before]
        assert len(runs) == 1, f"expected one new DAG run, found {runs}:\n{tail(done.stdout + done.stderr)}"
        return DagRun(run_id=runs[0]["run_id"], state=runs[0]["state"], returncode=done.returncode, output=done.stdout + done.stderr)

    def task_states(self, run_id: str) -> dict[str, str]:
        done = self.run("tasks", "states-for-dag-run", DAG_ID, run_id, "--output", "json")
        return {row["task_id"]: row["state"] for row in json.loads(last_json_line(done.stdout))}

    def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        """Reads the metadata DB (sqlite) directly, for what the Airflow CLI does not print (XCom, rendered fields)."""
        # Closed after each query (sqlite3's `with` only commits): no connection of the tests lingers on the WAL.
        with contextlib.closing(sqlite3.connect(self.home / "airflow.db")) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(query, params)]


def last_json_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith(("[", "{"))]
    assert lines, f"no JSON in output:\n{tail(text)}"
    return lines[-1]


def tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


def medallion(*args: str, medallion_home: Path, env: dict[str, str] | None = None) -> Any:
    """Runs the Medallion CLI against a MEDALLION_HOME and returns its JSON output."""
    done = subprocess.run(
        [*medallion_cli(), *args],
        env={**(env or clean_environment()), "MEDALLION_HOME": str(medallion_home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"medallion {' '.join(args)} exited with {done.returncode}: {done.stderr}"
    return json.loads(done.stdout)


def query(sql: str, medallion_home: Path, target: str = "clickhouse") -> list[dict[str, Any]]:
    return medallion("query", sql, "--format", "json", "--target", target, medallion_home=medallion_home)


def pipeline_run(run_id: str, medallion_home: Path) -> dict[str, Any]:
    rows = medallion("status", "--json", "--run-id", run_id, medallion_home=medallion_home)
    assert len(rows) == 1, f"catalog.pipeline_runs has {len(rows)} rows for {run_id}"
    return rows[0]


def strip_audit_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Business columns only: `_batch_id`, `_loaded_at`… record which run wrote a row, not what it says."""
    return [{key: value for key, value in row.items() if not key.startswith("_")} for row in rows]


def snapshot(home: Path) -> dict[str, list[dict[str, Any]]]:
    """Every gold row in ClickHouse and in PostgreSQL (and the SCD2 users), business columns only."""
    return {
        "silver dim_users": strip_audit_columns(query("SELECT * FROM silver.dim_users FINAL ORDER BY user_name, valid_from", home)),
        "clickhouse hourly": strip_audit_columns(query("SELECT * FROM gold.agg_events_hourly FINAL ORDER BY event_date, event_hour, category, source", home)),
        "clickhouse daily": strip_audit_columns(query("SELECT * FROM gold.rpt_daily_summary FINAL ORDER BY event_date", home)),
        "postgres hourly": strip_audit_columns(query("SELECT * FROM medallion_etl.agg_events_hourly ORDER BY event_date, event_hour, category, source", home, "postgres")),
        "postgres daily": strip_audit_columns(query("SELECT * FROM medallion_etl.rpt_daily_summary ORDER BY event_date", home, "postgres")),
    }


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """The events a file transport appended, one JSON object a line (none when the file was never written)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def free_port() -> int:
    """A local TCP port nothing listens on (connections to it are refused at once)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
