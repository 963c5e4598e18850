"""A real `airflow dags test medallion_etl <logical date>` on the embedded engines, and a rerun of its interval."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time
from datetime import datetime, timezone
from typing import Any

import pytest

from conftest import Deployment
from harness import EXPECTED_UPSTREAM, RERUN_LOGICAL_DATE, WINDOW_END, WINDOW_START, DagRun, medallion_cli, pipeline_run, query, read_json_lines, snapshot, tail

COUNTS = (
    "bronze_rows",
    "quarantined_rows",
    "silver_new_rows",
    "duplicate_rows",
    "already_in_silver_rows",
    "dim_users_new",
    "dim_users_updated",
    "gold_hourly_rows",
    "gold_daily_rows",
)

# The first run (`first_run`, `deployment`) is in conftest.py: test_openlineage.py reads its events.

HOLD_SECONDS = 12


def log_time(output: str, marker: str) -> datetime:
    """When an Airflow log line containing `marker` was written."""
    line = next(line for line in output.splitlines() if marker in line)
    return datetime.fromisoformat(line.split()[0].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def parallel_gold(deployment: Deployment, first_run: tuple[DagRun, Any]) -> dict[str, Any]:
    """The two gold tasks started together (`airflow tasks test` takes no pool slot) while another process, a
    `medallion query` from a shell, holds the embedded engines: the home lock keeps them out until it lets go.
    Under the scheduler the `medallion_home` pool already runs them one at a time."""
    run, _ = first_run
    holder = subprocess.Popen(
        [*medallion_cli(), "query", f"SELECT sum(sleepEachRow(1)) AS slept FROM numbers({HOLD_SECONDS}) SETTINGS function_sleep_max_microseconds_per_block = 60000000"],
        env={**deployment.env_without_openlineage, "MEDALLION_HOME": str(deployment.medallion_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    held_since = datetime.now(timezone.utc)
    time.sleep(2)  # the holder has the directory before the tasks start
    tasks = ["aggregate_gold_hourly", "aggregate_gold_daily"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(tasks, pool.map(lambda task: deployment.airflow.run("tasks", "test", "medallion_etl", task, run.run_id, env=deployment.env_without_openlineage, check=False), tasks)))
    holder.communicate(timeout=120)
    assert holder.returncode == 0
    return {"run": run, "held_since": held_since, "done": done}


@pytest.fixture(scope="module")
def rerun(deployment: Deployment, first_run: tuple[DagRun, Any], parallel_gold: dict[str, Any]) -> tuple[DagRun, dict[str, list[dict[str, Any]]]]:
    """The same interval again, as a whole second DAG run (after the two gold tasks were rerun together), with
    OpenLineage off: the DAG runs the same without it, and the first run's events stay the only ones."""
    second = deployment.airflow.dags_test(RERUN_LOGICAL_DATE, deployment.env_without_openlineage)
    assert second.state == "success", f"DAG run {second.run_id} is {second.state}:\n{tail(second.output, 150)}"
    return second, snapshot(deployment.medallion_home)


def test_all_15_task_instances_succeed(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    run, _ = first_run
    assert deployment.airflow.task_states(run.run_id) == {task: "success" for task in EXPECTED_UPSTREAM}


def test_pipeline_runs_holds_the_airflow_run_id_as_success_with_row_counts(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    run, _ = first_run
    assert run.run_id.startswith("manual__")
    row = pipeline_run(run.run_id, deployment.medallion_home)
    assert (row["status"], row["framework"], row["window_start"], row["window_end"]) == ("success", "airflow", WINDOW_START, WINDOW_END)
    assert row["failed_task"] == "" and row["error"] == ""
    assert row["bronze_rows"] >= 2000
    assert row["bronze_rows"] == row["quarantined_rows"] + row["silver_new_rows"] + row["duplicate_rows"] + row["already_in_silver_rows"]
    assert row["quarantined_rows"] > 0 and row["silver_new_rows"] > 0 and row["dim_users_new"] > 0
    assert row["gold_hourly_rows"] > 0 and row["gold_daily_rows"] > 0
    # Gold holds exactly what the run reported.
    hourly = query(f"SELECT count() AS n FROM gold.agg_events_hourly FINAL WHERE _batch_id = '{run.run_id}'", deployment.medallion_home)
    assert hourly == [{"n": row["gold_hourly_rows"]}]


def test_every_task_attempt_is_benchmarked_under_the_airflow_framework(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    run, _ = first_run
    rows = query(
        f"SELECT task_name, attempt, status, framework FROM catalog.benchmark_log WHERE run_id = '{run.run_id}' ORDER BY task_name",
        deployment.medallion_home,
    )
    assert sorted(row["task_name"] for row in rows) == sorted(EXPECTED_UPSTREAM)
    assert {(row["attempt"], row["status"], row["framework"]) for row in rows} == {(1, "success", "airflow")}


def test_row_counts_are_pushed_as_xcom(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    run, _ = first_run
    xcoms: dict[str, dict[str, Any]] = {}
    for row in deployment.airflow.sql("SELECT task_id, key, value FROM xcom WHERE run_id = ?", run.run_id):
        value = row["value"]  # JSON; sqlite hands numbers back already decoded
        xcoms.setdefault(row["task_id"], {})[row["key"]] = json.loads(value) if isinstance(value, str) else value
    # Every task returns the CLI's result, and pushes each metric it reported under its own key.
    recorded = query(f"SELECT task_name, metrics FROM catalog.benchmark_log WHERE run_id = '{run.run_id}'", deployment.medallion_home)
    assert len(recorded) == len(EXPECTED_UPSTREAM)
    for row in recorded:
        pushed = dict(xcoms[row["task_name"]])
        result = pushed.pop("return_value")
        assert (result["task"], result["run_id"]) == (row["task_name"], run.run_id) and result["summary"]
        assert result["metrics"] == row["metrics"]
        assert pushed == row["metrics"], row["task_name"]
    # The run's counts (bronze, quarantined, silver, dim_users, gold) come from the tasks that produced them.
    counts = pipeline_run(run.run_id, deployment.medallion_home)
    for key in COUNTS:
        producers = {task: values[key] for task, values in xcoms.items() if key in values and task != "complete_pipeline_run"}
        assert producers, f"no task pushed {key}"
        assert set(producers.values()) == {counts[key]}, f"{key}: {producers} vs pipeline_runs {counts[key]}"
    assert xcoms["load_bronze"]["bronze_rows"] == counts["bronze_rows"] > 0
    assert xcoms["update_dim_users"]["dim_users_new"] == counts["dim_users_new"] > 0
    assert xcoms["aggregate_gold_hourly"]["gold_hourly_rows"] == counts["gold_hourly_rows"] > 0


def test_task_logs_show_what_each_task_did(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    run, _ = first_run
    results = {row["task_id"]: json.loads(row["value"]) for row in deployment.airflow.sql("SELECT task_id, value FROM xcom WHERE run_id = ? AND key = 'return_value'", run.run_id)}
    for task in EXPECTED_UPSTREAM:
        assert f"{task} for run {run.run_id}, window {WINDOW_START} UTC" in run.output, task
        assert f"{task}: {results[task]['summary']}" in run.output, task
    assert f"medallion task load_bronze --run-id {run.run_id} --start 2026-11-23T10:00:00+00:00 --end 2026-11-23T11:00:00+00:00 --attempt 1 --json" in run.output
    assert f"chDB (embedded) at {deployment.medallion_home / 'clickhouse'}" in run.output


def test_lake_location_comes_from_the_airflow_variable(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    partition = deployment.lake / "agg_events_hourly" / "event_date=2026-11-23" / "event_hour=10"
    files = list(partition.glob("*.parquet"))
    assert files and all(file.stat().st_size > 0 for file in files)
    assert list((deployment.lake / "rpt_daily_summary" / "event_date=2026-11-23").glob("*.parquet"))
    assert not (deployment.medallion_home / "lake").exists(), "the default lake was used instead of the Variable's"


def test_tasks_wait_for_another_process_holding_the_embedded_engines_instead_of_failing(parallel_gold: dict[str, Any]) -> None:
    run = parallel_gold["run"]
    for task, done in parallel_gold["done"].items():
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{task}:\n{tail(output)}"
        # The task got the engines only once the other process let go of them.
        opened = log_time(output, f"{task} for run {run.run_id}")
        assert (opened - parallel_gold["held_since"]).total_seconds() >= HOLD_SECONDS - 1, f"{task} did not wait"


def test_rerunning_the_interval_leaves_gold_unchanged(deployment: Deployment, first_run: tuple[DagRun, Any], rerun: tuple[DagRun, Any]) -> None:
    run, gold_before = first_run
    second, gold_after = rerun
    assert second.run_id != run.run_id
    assert all(gold_before[table] for table in gold_before), "gold is empty"
    for table in gold_before:
        assert gold_after[table] == gold_before[table], f"{table} changed on rerun"
    first, again = pipeline_run(run.run_id, deployment.medallion_home), pipeline_run(second.run_id, deployment.medallion_home)
    assert again["status"] == "success" and again["window_start"] == WINDOW_START
    # The rerun found every valid event already in silver: nothing new, nothing lost.
    assert again["silver_new_rows"] == 0
    assert again["already_in_silver_rows"] >= first["silver_new_rows"] > 0
    assert deployment.airflow.task_states(second.run_id) == {task: "success" for task in EXPECTED_UPSTREAM}


def test_the_rerun_without_openlineage_renders_no_parent_and_emits_nothing(deployment: Deployment, rerun: tuple[DagRun, Any]) -> None:
    """The provider disabled registers no macros: the parent ids render empty (Medallion reads that as unset)."""
    second, _ = rerun
    [rendered] = deployment.airflow.sql(
        "SELECT rendered_fields FROM rendered_task_instance_fields WHERE run_id = ? AND task_id = 'load_bronze'", second.run_id
    )
    env = json.loads(rendered["rendered_fields"])["env"]
    assert (env["OPENLINEAGE_PARENT_ID"], env["OPENLINEAGE_ROOT_PARENT_ID"]) == ("", "")
    # Only the first run's events: one START and one terminal event per task and producer.
    for path in (deployment.airflow_events, deployment.medallion_events):
        load_bronze = [event for event in read_json_lines(path) if event["job"]["name"] == "medallion_etl.load_bronze"]
        assert [event["eventType"] for event in load_bronze] == ["START", "COMPLETE"], path


def test_the_tasks_update_the_assets_they_write(deployment: Deployment, first_run: tuple[DagRun, Any]) -> None:
    """Airflow records an event for each outlet of a task that succeeded: the gold tables, the lake, PostgreSQL
    (the gold tasks' outlets twice when `parallel_gold` has run them again under the same run id)."""
    run, _ = first_run
    rows = deployment.airflow.sql(
        "SELECT asset.uri AS uri, asset_event.source_task_id AS task FROM asset_event JOIN asset ON asset.id = asset_event.asset_id"
        " WHERE asset_event.source_run_id = ? ORDER BY asset.uri",
        run.run_id,
    )
    lake = f"file://{deployment.lake}"
    assert {(row["task"], row["uri"]) for row in rows} == {
        ("snapshot_gold_history", "clickhouse://localhost/gold.agg_events_hourly_history"),
        ("snapshot_gold_history", "clickhouse://localhost/gold.rpt_daily_summary_history"),
        ("aggregate_gold_hourly", "clickhouse://localhost/gold.agg_events_hourly"),
        ("aggregate_gold_daily", "clickhouse://localhost/gold.rpt_daily_summary"),
        ("export_gold_to_s3", f"{lake}/agg_events_hourly"),
        ("export_gold_to_s3", f"{lake}/rpt_daily_summary"),
        ("load_aurora", "postgres://localhost/postgres/medallion_etl/agg_events_hourly"),
        ("load_aurora", "postgres://localhost/postgres/medallion_etl/rpt_daily_summary"),
    }
