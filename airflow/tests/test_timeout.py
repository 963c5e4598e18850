"""A hung task under Airflow: its execution_timeout kills it, the run fails in Airflow and in the catalog, and the
embedded home it held is free again, so the next run of the window goes through.

The hang is a real one: the lake is on an S3 endpoint that accepts connections and never answers (a socket on
127.0.0.1 that reads nothing), so export_gold_to_s3 waits inside the AWS SDK (request timeout 120 s, retried)
while its process holds MEDALLION_HOME. Its timeout, from the medallion_task_timeout_minutes_by_task Variable,
is a few seconds.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest

from harness import EXPECTED_UPSTREAM, Airflow, DagRun, pipeline_run, query, tail

LOGICAL_DATE = "2026-11-23T21:00:00+00:00"  # data interval [20:00, 21:00)
NEXT_LOGICAL_DATE = "2026-11-23T21:00:01+00:00"  # the same interval; `dags test` would delete the run of LOGICAL_DATE
HUNG_TASK = "export_gold_to_s3"
TIMEOUT_SECONDS = 8
UPSTREAM_OF_HUNG_TASK = [
    "ensure_all_tables",
    "register_catalog",
    "start_pipeline_run",
    "load_bronze",
    "quarantine_invalid_rows",
    "transform_silver",
    "update_dim_users",
    "snapshot_gold_history",
    "aggregate_gold_hourly",
    "aggregate_gold_daily",
    "verify_pipeline",
]


@pytest.fixture(scope="module")
def silent_s3() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers; closed after the module."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture(scope="module")
def medallion_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("medallion-home-timeout")


@pytest.fixture(scope="module")
def timed_out_run(airflow: Airflow, medallion_home: Path, silent_s3: int) -> DagRun:
    env = airflow.environment(
        medallion_home,
        AIRFLOW_VAR_MEDALLION_LAKE_URL="s3://medallion-lake/gold",
        AIRFLOW_VAR_MEDALLION_S3_ENDPOINT=f"http://127.0.0.1:{silent_s3}",
        AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES_BY_TASK=json.dumps({HUNG_TASK: TIMEOUT_SECONDS / 60}),
        # Static credentials: the SDK's default chain would otherwise ask the EC2 metadata address.
        AWS_ACCESS_KEY_ID="medallion-test",
        AWS_SECRET_ACCESS_KEY="medallion-test-secret",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        MEDALLION_TEST_RETRY_DELAY_SECONDS="1",  # the retry comes after 1 s instead of 5 min (test policy)
        # A home still held by a killed task would make the failure callback (and every check below) wait this
        # long and then fail, naming the holder.
        MEDALLION_LOCK_TIMEOUT_MS="30000",
    )
    return airflow.dags_test(LOGICAL_DATE, env)


@pytest.fixture(scope="module")
def next_run(airflow: Airflow, medallion_home: Path, timed_out_run: DagRun) -> DagRun:
    """The same window again, with the lake in a directory: the run that follows the hung one."""
    return airflow.dags_test(NEXT_LOGICAL_DATE, airflow.environment(medallion_home, MEDALLION_LOCK_TIMEOUT_MS="30000"))


def attempts(airflow: Airflow, run_id: str) -> list[dict[str, Any]]:
    """Every try of the hung task, from Airflow's task instance history and the task instance itself."""
    query_text = "SELECT try_number, state, start_date, end_date FROM {table} WHERE run_id = ? AND task_id = ?"
    rows = airflow.sql(query_text.format(table="task_instance_history"), run_id, HUNG_TASK) + airflow.sql(query_text.format(table="task_instance"), run_id, HUNG_TASK)
    return sorted(rows, key=lambda row: row["try_number"])


def test_the_hung_task_is_failed_by_its_timeout_and_the_run_fails(airflow: Airflow, timed_out_run: DagRun) -> None:
    assert timed_out_run.state == "failed", tail(timed_out_run.output, 150)
    assert airflow.task_states(timed_out_run.run_id) == {
        **{task: "upstream_failed" for task in EXPECTED_UPSTREAM},
        **{task: "success" for task in UPSTREAM_OF_HUNG_TASK},
        HUNG_TASK: "failed",
    }
    # Both tries ran until the timeout, not less and not much more.
    tries = attempts(airflow, timed_out_run.run_id)
    assert [(row["try_number"], row["state"]) for row in tries] == [(1, "failed"), (2, "failed")]
    for row in tries:
        took = (datetime.fromisoformat(row["end_date"]) - datetime.fromisoformat(row["start_date"])).total_seconds()
        assert TIMEOUT_SECONDS <= took < TIMEOUT_SECONDS + 10, row
    assert "AirflowTaskTimeout" in timed_out_run.output
    assert "Sending SIGTERM signal to process group" in timed_out_run.output


def test_the_killed_tasks_processes_are_gone(timed_out_run: DagRun) -> None:
    running = [
        process.info["cmdline"]
        for process in psutil.process_iter(["cmdline"])
        if process.info["cmdline"] and timed_out_run.run_id in " ".join(process.info["cmdline"])
    ]
    assert running == []


def test_pipeline_runs_holds_the_run_as_failed_at_the_hung_task(timed_out_run: DagRun, medallion_home: Path) -> None:
    # Reading the catalog takes the home lock: this would wait, then fail, if the killed task still held it.
    row = pipeline_run(timed_out_run.run_id, medallion_home)
    assert (row["status"], row["failed_task"], row["framework"]) == ("failed", HUNG_TASK, "airflow")
    # A killed task records nothing of its own: the error is the one the failure callback gives.
    assert row["error"] == f"task {HUNG_TASK} failed under Airflow (task_failure, try 2); see its log"
    recorded = query(f"SELECT task_name FROM catalog.benchmark_log WHERE run_id = '{timed_out_run.run_id}' ORDER BY task_name", medallion_home)
    assert sorted(entry["task_name"] for entry in recorded) == sorted(UPSTREAM_OF_HUNG_TASK)
    # The failure notifier had no address to write to, and said so instead of failing.
    assert "No failure e-mail: the Variable medallion_alert_email names no address" in timed_out_run.output
    assert "Callback failed" not in timed_out_run.output


def test_the_next_run_of_the_window_succeeds(airflow: Airflow, next_run: DagRun, medallion_home: Path) -> None:
    assert next_run.state == "success", tail(next_run.output, 150)
    assert airflow.task_states(next_run.run_id) == {task: "success" for task in EXPECTED_UPSTREAM}
    row = pipeline_run(next_run.run_id, medallion_home)
    assert (row["status"], row["window_start"]) == ("success", "2026-11-23 20:00:00")
    assert list((medallion_home / "lake" / "agg_events_hourly" / "event_date=2026-11-23" / "event_hour=20").glob("*.parquet"))
