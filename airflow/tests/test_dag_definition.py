"""The DAG as Airflow loads it: no import errors, the seed's 15 tasks and edges, read from `medallion dag --json`."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from harness import DAG_FILE, DAG_ID, DAGS_FOLDER, EXPECTED_UPSTREAM, Airflow

# Loads the DAG folder with Airflow's DagBag and prints what the tests check, as one JSON line.
DAGBAG_REPORT = f"""
import json
from airflow.models import DagBag

bag = DagBag(dag_folder={str(DAGS_FOLDER)!r})
dag = bag.dags.get({DAG_ID!r})
report = {{"import_errors": {{str(k): str(v) for k, v in bag.import_errors.items()}}, "dag_ids": sorted(bag.dag_ids)}}
if dag is not None:
    task = dag.task_dict.get("load_bronze", dag.tasks[0])
    report.update(
        tasks={{t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}},
        descriptions={{t.task_id: t.doc_md for t in dag.tasks}},
        operators=sorted({{type(t).__mro__[1].__module__ + "." + type(t).__mro__[1].__name__ for t in dag.tasks}}),
        timetable=type(dag.timetable).__name__,
        cron=getattr(dag.timetable, "expression", None),
        timezone=str(getattr(dag.timetable, "timezone", "")),
        catchup=dag.catchup,
        max_active_runs=dag.max_active_runs,
        tags=sorted(dag.tags),
        doc_md=dag.doc_md,
        has_failure_callback=bool(dag.on_failure_callback),
        retries=sorted({{t.retries for t in dag.tasks}}),
        retry_delays=sorted({{t.retry_delay.total_seconds() for t in dag.tasks}}),
        email=sorted({{str(t.email) for t in dag.tasks}}),
        email_on_failure=sorted({{t.email_on_failure for t in dag.tasks}}),
        email_on_retry=sorted({{t.email_on_retry for t in dag.tasks}}),
        bash_command=task.bash_command,
        env=task.env,
        append_env=task.append_env,
    )
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report(airflow: Airflow) -> dict:
    return airflow.python(DAGBAG_REPORT)


def test_dagbag_loads_the_dag_without_import_errors(report: dict) -> None:
    assert report["import_errors"] == {}
    assert report["dag_ids"] == [DAG_ID]


def test_dag_has_exactly_the_seed_tasks_and_edges(report: dict) -> None:
    assert {task: set(upstream) for task, upstream in report["tasks"].items()} == EXPECTED_UPSTREAM
    # The two gold aggregations run in parallel: neither is upstream of the other.
    assert report["tasks"]["aggregate_gold_hourly"] == report["tasks"]["aggregate_gold_daily"] == ["snapshot_gold_history"]


def test_dag_graph_equals_the_typescript_declaration(report: dict, cli_graph: dict[str, set[str]]) -> None:
    assert {task: set(upstream) for task, upstream in report["tasks"].items()} == cli_graph


def test_dag_is_built_from_the_cli_output_not_a_copy(airflow: Airflow, tmp_path: Path) -> None:
    """With a CLI that declares a different graph, the DAG follows it: the two cannot drift apart."""
    graph = {"tasks": [{"id": "first", "upstream": [], "description": "one"}, {"id": "second", "upstream": ["first"], "description": "two"}]}
    fake = tmp_path / "fake-medallion"
    fake.write_text(f"#!/bin/sh\ncat <<'JSON'\n{json.dumps(graph)}\nJSON\n")
    fake.chmod(0o755)
    changed = airflow.python(DAGBAG_REPORT, env=airflow.environment(MEDALLION_CLI=str(fake)))
    assert changed["import_errors"] == {}
    assert changed["tasks"] == {"first": [], "second": ["first"]}
    assert changed["descriptions"] == {"first": "one", "second": "two"}


def test_a_missing_cli_is_an_import_error_that_says_what_to_do(airflow: Airflow, tmp_path: Path) -> None:
    broken = airflow.python(DAGBAG_REPORT, env=airflow.environment(MEDALLION_CLI=str(tmp_path / "no-such-cli")))
    assert broken["dag_ids"] == []
    [error] = broken["import_errors"].values()
    assert "dag --json" in error and "no-such-cli" in error


def test_dag_schedule_and_defaults_follow_the_seed(report: dict) -> None:
    assert report["timetable"] == "CronDataIntervalTimetable"  # @hourly with a one-hour data interval
    assert report["cron"] in ("@hourly", "0 * * * *")
    assert report["timezone"] in ("UTC", "Timezone('UTC')")
    assert report["catchup"] is False
    assert report["max_active_runs"] == 1
    assert report["retries"] == [1]
    assert report["retry_delays"] == [timedelta(minutes=5).total_seconds()]
    assert report["tags"] == sorted(["clickhouse", "etl", "medallion", "catalog", "scd2", "gold-audit", "s3-export", "aurora", "validation", "quarantine"])
    assert "ensure_all_tables → register_catalog" in report["doc_md"]
    assert report["has_failure_callback"] is True
    assert report["operators"] == ["airflow.providers.standard.operators.bash.BashOperator"]
    assert report["descriptions"]["load_bronze"].startswith("Loads the window")


def test_alert_address_is_an_airflow_variable_rendered_at_run_time(report: dict) -> None:
    assert report["email_on_failure"] == [True]
    assert report["email_on_retry"] == [False]
    [email] = report["email"]
    assert re.fullmatch(r"\{\{ var\.value\.get\('medallion_alert_email', ''\) \}\}", email)


def test_each_task_runs_the_cli_with_the_airflow_run_id_and_data_interval(report: dict) -> None:
    command = report["bash_command"]
    assert re.search(r"medallion(\.js)?'? task load_bronze --run-id \{\{ run_id \| shell_quote \}\}", command) or (
        " task load_bronze --run-id {{ run_id | shell_quote }}" in command
    )
    assert "--start {{ data_interval_start | ts | shell_quote }}" in command
    assert "--end {{ data_interval_end | ts | shell_quote }}" in command
    assert "--attempt {{ ti.try_number }}" in command
    assert report["append_env"] is True
    assert report["env"]["MEDALLION_FRAMEWORK"] == "airflow"
    # Every other value is a template resolved from Airflow Connections/Variables when the task runs.
    assert all(value.startswith("{{ ") and value.endswith(" }}") for key, value in report["env"].items() if key != "MEDALLION_FRAMEWORK")
    assert set(report["env"]) >= {"MEDALLION_HOME", "MEDALLION_CLICKHOUSE_URL", "MEDALLION_POSTGRES_URL", "MEDALLION_LAKE_URL"}


def test_dag_file_holds_no_credentials_or_locations() -> None:
    text = DAG_FILE.read_text()
    assert not re.search(r"[a-z][a-z0-9+.-]*://[^\s/'\"@]+:[^\s@'\"]+@", text, re.IGNORECASE), "a URL with credentials"
    assert not re.search(r"password\s*[:=]\s*['\"][^'\"]+['\"]", text, re.IGNORECASE)
    assert not re.search(r"s3://[a-z0-9]", text), "a bucket name"
    assert not re.search(r"@[a-z0-9-]+\.[a-z]{2,}", text, re.IGNORECASE), "an e-mail address"
