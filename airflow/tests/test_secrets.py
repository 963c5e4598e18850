"""Connections reach the CLI through templating at run time, and their passwords never reach a log."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from harness import DAG_FILE, Airflow, DagRun, free_port

LOGICAL_DATE = "2026-11-23T18:00:00+00:00"
CLICKHOUSE_PASSWORD = "Ch-S3cret-pw-4711"
POSTGRES_PASSWORD = "Pg/S3cret+pw:0815"  # characters that URL-encoding changes


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def run_with_connections(airflow: Airflow, tmp_path_factory: pytest.TempPathFactory, port: int) -> DagRun:
    """A DAG run against servers that refuse connections: the tasks fail, after having used the Connections."""
    connections = {
        "AIRFLOW_CONN_MEDALLION_CLICKHOUSE": {"conn_type": "http", "host": "127.0.0.1", "port": port, "login": "medallion", "password": CLICKHOUSE_PASSWORD},
        "AIRFLOW_CONN_MEDALLION_POSTGRES": {
            "conn_type": "postgres",
            "host": "127.0.0.1",
            "port": port,
            "login": "etl",
            "password": POSTGRES_PASSWORD,
            "schema": "analytics",
            "extra": {"sslmode": "disable"},
        },
    }
    env = airflow.environment(
        tmp_path_factory.mktemp("medallion-home-secrets"),
        MEDALLION_TEST_RETRY_DELAY_SECONDS="1",
        **{name: json.dumps(value) for name, value in connections.items()},
    )
    return airflow.dags_test(LOGICAL_DATE, env)


def secrets() -> list[str]:
    return [CLICKHOUSE_PASSWORD, POSTGRES_PASSWORD, quote(POSTGRES_PASSWORD, safe=""), quote(CLICKHOUSE_PASSWORD, safe="")]


def test_tasks_used_the_connections_from_airflow(airflow: Airflow, run_with_connections: DagRun, port: int) -> None:
    assert run_with_connections.state == "failed"
    # The rendered environment of the task (what the UI shows) carries the servers, passwords masked.
    [rendered] = airflow.sql(
        "SELECT rendered_fields FROM rendered_task_instance_fields WHERE run_id = ? AND task_id = 'ensure_all_tables'",
        run_with_connections.run_id,
    )
    env = json.loads(rendered["rendered_fields"])["env"]
    assert env["MEDALLION_CLICKHOUSE_URL"] == f"http://medallion:***@127.0.0.1:{port}"
    assert env["MEDALLION_POSTGRES_URL"] == f"postgresql://etl:***@127.0.0.1:{port}/analytics?sslmode=disable"
    # The CLI went to those servers (and says so in the task log, with the password masked).
    assert f"http://medallion:***@127.0.0.1:{port}" in run_with_connections.output
    assert f"ECONNREFUSED 127.0.0.1:{port}" in run_with_connections.output


def test_no_password_appears_in_task_logs(airflow: Airflow, run_with_connections: DagRun) -> None:
    for secret in secrets():
        assert secret not in run_with_connections.output
    for file in (airflow.home / "logs").rglob("*"):
        if file.is_file():
            text = file.read_text(errors="replace")
            for secret in secrets():
                assert secret not in text, f"{secret!r} in {file}"


def test_no_password_is_stored_in_the_airflow_metadata_db(airflow: Airflow, run_with_connections: DagRun) -> None:
    content = (airflow.home / "airflow.db").read_bytes()
    for secret in secrets():
        assert secret.encode() not in content


def test_no_password_appears_in_the_dag_file() -> None:
    text = DAG_FILE.read_text()
    for secret in secrets():
        assert secret not in text


def test_airflow_masks_a_connection_password_printed_by_a_task(airflow: Airflow, tmp_path: Path) -> None:
    """Airflow's own masking, independent of the CLI's: a task that prints the raw password shows ***."""
    dag = tmp_path / "print_secret.py"
    dag.write_text(
        "from datetime import datetime\n"
        "from airflow.providers.standard.operators.bash import BashOperator\n"
        "from airflow.sdk import DAG\n"
        "with DAG('print_secret', schedule=None, start_date=datetime(2026, 1, 1)):\n"
        "    BashOperator(task_id='echo', bash_command='echo password is {{ conn.medallion_clickhouse.password }}')\n"
    )
    env = airflow.environment(
        AIRFLOW__CORE__DAGS_FOLDER=str(tmp_path),
        AIRFLOW_CONN_MEDALLION_CLICKHOUSE=json.dumps({"conn_type": "http", "host": "localhost", "password": CLICKHOUSE_PASSWORD}),
    )
    done = airflow.run("tasks", "test", "print_secret", "echo", env=env, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "password is ***" in output
    assert CLICKHOUSE_PASSWORD not in output
