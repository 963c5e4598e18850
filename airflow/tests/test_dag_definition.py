"""The DAG as Airflow loads it: the seed's 15 tasks and edges from the graph file the CLI wrote, and the Airflow
idioms: a notifier for failures, timeouts, a pool, Assets; and nothing started while it is parsed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from harness import DAG_FILE, DAG_ID, DAGS_FOLDER, EXPECTED_UPSTREAM, POOL, REPOSITORY, Airflow, medallion_cli

GRAPH_FILE = DAGS_FOLDER / "medallion_graph.json"

# With FORBID_PROCESSES set, starting a process from Python (subprocess, os.system, spawn, fork) raises.
FORBID_PROCESSES = """
import os, subprocess
if os.environ.get("FORBID_PROCESSES"):
    def refuse(*args, **kwargs):
        raise RuntimeError("a process was started while parsing")
    subprocess.Popen.__init__ = refuse
    os.posix_spawn = os.posix_spawnp = os.fork = os.system = refuse
"""

# Loads a DAG folder with Airflow's DagBag and prints what the tests check, as one JSON line.
DAGBAG_REPORT = FORBID_PROCESSES.replace("{", "{{").replace("}", "}}") + """
import json
from airflow.models import DagBag

bag = DagBag(dag_folder={folder!r})
dag = bag.dags.get({dag_id!r})
report = {{"import_errors": {{str(k): str(v) for k, v in bag.import_errors.items()}}, "dag_ids": sorted(bag.dag_ids)}}
if dag is not None:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    task = dag.task_dict.get("load_bronze", dag.tasks[0])
    callbacks = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
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
        failure_callbacks=[getattr(c, "__name__", type(c).__name__) for c in callbacks],
        notifiers=[
            {{"to": c.to, "smtp_conn_id": c.smtp_conn_id, "subject": c.subject, "html_content": c.html_content}}
            for c in callbacks if isinstance(c, SmtpNotifier)
        ],
        task_failure_callbacks=sorted({{str(t.on_failure_callback or None) for t in dag.tasks}}),
        retries=sorted({{t.retries for t in dag.tasks}}),
        retry_delays=sorted({{t.retry_delay.total_seconds() for t in dag.tasks}}),
        email=sorted({{str(t.email) for t in dag.tasks}}),
        execution_timeouts={{t.task_id: t.execution_timeout.total_seconds() if t.execution_timeout else None for t in dag.tasks}},
        dagrun_timeout=dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        pools=sorted({{(t.pool, t.pool_slots) for t in dag.tasks}}),
        outlets={{t.task_id: [a.uri for a in t.outlets] for t in dag.tasks}},
        bash_command=task.bash_command,
        env=task.env,
        append_env=task.append_env,
    )
print(json.dumps(report))
"""


def dagbag_report(airflow: Airflow, folder: Path = DAGS_FOLDER, **env: str) -> dict:
    return airflow.python(DAGBAG_REPORT.format(folder=str(folder), dag_id=DAG_ID), env=airflow.environment(**env))


@pytest.fixture(scope="module")
def report(airflow: Airflow) -> dict:
    return dagbag_report(airflow)


def test_dagbag_loads_the_dag_without_import_errors(report: dict) -> None:
    assert report["import_errors"] == {}
    assert report["dag_ids"] == [DAG_ID]


def test_dag_has_exactly_the_seed_tasks_and_edges(report: dict) -> None:
    assert {task: set(upstream) for task, upstream in report["tasks"].items()} == EXPECTED_UPSTREAM
    # The two gold aggregations run in parallel: neither is upstream of the other.
    assert report["tasks"]["aggregate_gold_hourly"] == report["tasks"]["aggregate_gold_daily"] == ["snapshot_gold_history"]


def test_dag_graph_equals_the_typescript_declaration(report: dict, cli_graph: dict[str, set[str]]) -> None:
    assert {task: set(upstream) for task, upstream in report["tasks"].items()} == cli_graph


def test_the_graph_file_is_what_the_built_cli_prints() -> None:
    """airflow/dags/medallion_graph.json is `medallion dag --json`, byte for byte. `npm run build` writes it (and
    scripts/test-airflow.sh builds first); .ci/run checks that the committed file is the one the build wrote."""
    done = subprocess.run([*medallion_cli(), "dag", "--json"], capture_output=True, text=True, check=True, timeout=60)
    assert GRAPH_FILE.read_text() == done.stdout, f"{GRAPH_FILE.relative_to(REPOSITORY)} is stale: run `npm run build` and commit it"


def test_parsing_the_dag_starts_no_process(airflow: Airflow) -> None:
    parsed = dagbag_report(airflow, FORBID_PROCESSES="1")
    assert parsed["import_errors"] == {}
    assert {task: set(upstream) for task, upstream in parsed["tasks"].items()} == EXPECTED_UPSTREAM
    # The guard works: the way the DAG used to read the graph (`medallion dag --json`) is refused under it.
    probe = FORBID_PROCESSES + "import json\ntry:\n    subprocess.run(['true'])\nexcept RuntimeError as error:\n    print(json.dumps(str(error)))\n"
    assert airflow.python(probe, env=airflow.environment(FORBID_PROCESSES="1")) == "a process was started while parsing"


def copy_of_the_dag(folder: Path, graph: dict | None) -> Path:
    """The DAG file copied (not linked) into `folder`, with `graph` as its graph file (none when None)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DAG_FILE, folder / DAG_FILE.name)
    if graph is not None:
        (folder / GRAPH_FILE.name).write_text(json.dumps(graph))
    return folder


def built_cli() -> str:
    return f"node {REPOSITORY / 'dist' / 'cli' / 'main.js'}"


def test_the_dag_follows_the_graph_file_beside_it(airflow: Airflow, tmp_path: Path) -> None:
    graph = {
        "tasks": [
            {"id": "first", "upstream": [], "description": "one", "reads": [], "writes": ["gold.first"]},
            {"id": "second", "upstream": ["first"], "description": "two", "reads": [], "writes": []},
        ]
    }
    changed = dagbag_report(airflow, copy_of_the_dag(tmp_path / "dags", graph), MEDALLION_CLI=built_cli())
    assert changed["import_errors"] == {}
    assert changed["tasks"] == {"first": [], "second": ["first"]}
    assert changed["descriptions"] == {"first": "one", "second": "two"}
    assert changed["outlets"] == {"first": ["clickhouse://localhost/gold.first"], "second": []}


def test_a_missing_graph_file_is_an_import_error_that_says_what_to_do(airflow: Airflow, tmp_path: Path) -> None:
    broken = dagbag_report(airflow, copy_of_the_dag(tmp_path / "dags", None), MEDALLION_CLI=built_cli())
    assert broken["dag_ids"] == []
    [error] = broken["import_errors"].values()
    assert "medallion_graph.json is missing" in error and "npm run build" in error


def test_a_missing_cli_is_an_import_error_that_says_what_to_do(airflow: Airflow, tmp_path: Path) -> None:
    broken = dagbag_report(airflow, MEDALLION_CLI=str(tmp_path / "no-such-cli"))
    assert broken["dag_ids"] == []
    [error] = broken["import_errors"].values()
    assert "MEDALLION_CLI" in error and "no-such-cli" in error


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
    assert report["operators"] == ["airflow.providers.standard.operators.bash.BashOperator"]
    assert report["descriptions"]["load_bronze"].startswith("Loads the window")


def test_failures_notify_through_an_smtp_notifier_not_the_deprecated_email_settings(report: dict) -> None:
    # The run is marked failed in the catalog, then the notifier runs: both DAG failure callbacks.
    assert report["failure_callbacks"] == ["mark_run_failed", "FailureEmail"]
    [notifier] = report["notifiers"]
    # Address and SMTP Connection are Airflow settings, rendered when the notification is sent.
    assert notifier["to"] == "{{ var.value.get('medallion_alert_email', '') }}"
    assert notifier["smtp_conn_id"] == "{{ var.value.get('medallion_smtp_conn_id', 'smtp_default') }}"
    assert "{{ run_id }}" in notifier["subject"] and "ti.task_id" in notifier["subject"]
    assert "medallion status --run-id {{ run_id }}" in notifier["html_content"]
    # No task alerts by e-mail on its own (email/email_on_failure are deprecated since Airflow 3.2).
    assert report["email"] == ["None"]
    assert report["task_failure_callbacks"] == ["None"]


def test_every_task_has_an_execution_timeout_and_the_run_a_dagrun_timeout(report: dict) -> None:
    assert report["execution_timeouts"] == {task: timedelta(minutes=60).total_seconds() for task in EXPECTED_UPSTREAM}
    assert report["dagrun_timeout"] == timedelta(minutes=240).total_seconds()


def test_timeouts_come_from_airflow_variables(airflow: Airflow) -> None:
    configured = dagbag_report(
        airflow,
        AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES="30",
        AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES_BY_TASK=json.dumps({"load_bronze": 90, "export_gold_to_s3": 0.5}),
        AIRFLOW_VAR_MEDALLION_DAGRUN_TIMEOUT_MINUTES="150",
    )
    assert configured["execution_timeouts"] == {
        **{task: 30 * 60.0 for task in EXPECTED_UPSTREAM},
        "load_bronze": 90 * 60.0,
        "export_gold_to_s3": 30.0,
    }
    assert configured["dagrun_timeout"] == 150 * 60.0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES", "soon", "Variable medallion_task_timeout_minutes must be a number of minutes greater than 0, not 'soon'"),
        ("AIRFLOW_VAR_MEDALLION_DAGRUN_TIMEOUT_MINUTES", "-5", "Variable medallion_dagrun_timeout_minutes must be a number of minutes greater than 0"),
        ("AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES_BY_TASK", '{"load_bronz": 5}', "names tasks that do not exist: load_bronz"),
        ("AIRFLOW_VAR_MEDALLION_TASK_TIMEOUT_MINUTES_BY_TASK", "[5]", "must be a JSON object of task id → minutes"),
    ],
)
def test_an_invalid_timeout_variable_is_an_import_error_naming_it(airflow: Airflow, variable: str, value: str, message: str) -> None:
    broken = dagbag_report(airflow, **{variable: value})
    assert broken["dag_ids"] == []
    [error] = broken["import_errors"].values()
    assert message in error


def test_every_task_takes_a_slot_of_the_medallion_home_pool(report: dict, airflow: Airflow) -> None:
    assert report["pools"] == [[POOL, 1]]
    # The pool exists with one slot (created by the `airflow` fixture with the README's command).
    done = airflow.run("pools", "get", POOL, "--output", "json")
    [pool] = json.loads(done.stdout[done.stdout.index("[") :])
    assert (pool["pool"], int(pool["slots"])) == (POOL, 1)


def test_assets_name_the_gold_tables_the_lake_and_postgresql_of_the_embedded_defaults(report: dict, airflow: Airflow) -> None:
    lake = f"file://{airflow.home / 'medallion' / 'lake'}"  # $AIRFLOW_HOME/medallion/lake: nothing configured
    assert report["outlets"] == {
        **{task: [] for task in EXPECTED_UPSTREAM},
        "snapshot_gold_history": ["clickhouse://localhost/gold.agg_events_hourly_history", "clickhouse://localhost/gold.rpt_daily_summary_history"],
        "aggregate_gold_hourly": ["clickhouse://localhost/gold.agg_events_hourly"],
        "aggregate_gold_daily": ["clickhouse://localhost/gold.rpt_daily_summary"],
        "export_gold_to_s3": [f"{lake}/agg_events_hourly", f"{lake}/rpt_daily_summary"],
        "load_aurora": ["postgres://localhost/postgres/medallion_etl/agg_events_hourly", "postgres://localhost/postgres/medallion_etl/rpt_daily_summary"],
    }


def test_assets_name_the_configured_servers_without_credentials(airflow: Airflow) -> None:
    password = "Ass3t-S3cret/pw@x"
    configured = dagbag_report(
        airflow,
        AIRFLOW_CONN_MEDALLION_CLICKHOUSE=json.dumps({"conn_type": "http", "host": "ch.internal", "login": "etl", "password": password, "extra": {"secure": True}}),
        AIRFLOW_CONN_MEDALLION_POSTGRES=json.dumps({"conn_type": "postgres", "host": "db.internal", "port": 6432, "login": "etl", "password": password, "schema": "analytics"}),
        AIRFLOW_VAR_MEDALLION_POSTGRES_SCHEMA="reporting",
        AIRFLOW_VAR_MEDALLION_LAKE_URL="s3://data-lake/medallion/gold/",
    )
    assert configured["outlets"]["aggregate_gold_hourly"] == ["clickhouse://ch.internal:8443/gold.agg_events_hourly"]
    assert configured["outlets"]["export_gold_to_s3"] == ["s3://data-lake/medallion/gold/agg_events_hourly", "s3://data-lake/medallion/gold/rpt_daily_summary"]
    assert configured["outlets"]["load_aurora"] == [
        "postgres://db.internal:6432/analytics/reporting/agg_events_hourly",
        "postgres://db.internal:6432/analytics/reporting/rpt_daily_summary",
    ]
    uris = json.dumps(configured["outlets"])
    assert password not in uris and "etl" not in uris and "@" not in uris


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


def test_each_task_hands_medallion_its_openlineage_parent_from_the_providers_macros(report: dict) -> None:
    plugin = "macros.OpenLineageProviderPlugin"
    assert report["env"]["OPENLINEAGE_PARENT_ID"] == (
        f"{{{{ {plugin}.lineage_parent_id(task_instance) if {plugin} is defined and {plugin}.lineage_parent_id is defined else '' }}}}"
    )
    assert report["env"]["OPENLINEAGE_ROOT_PARENT_ID"] == (
        f"{{{{ {plugin}.lineage_root_parent_id(task_instance) if {plugin} is defined and {plugin}.lineage_root_parent_id is defined else '' }}}}"
    )


def test_dag_file_holds_no_credentials_or_locations() -> None:
    text = DAG_FILE.read_text()
    assert not re.search(r"[a-z][a-z0-9+.-]*://[^\s/'\"@]+:[^\s@'\"]+@", text, re.IGNORECASE), "a URL with credentials"
    assert not re.search(r"password\s*[:=]\s*['\"][^'\"]+['\"]", text, re.IGNORECASE)
    assert not re.search(r"s3://[a-z0-9]", text), "a bucket name"
    assert not re.search(r"@[a-z0-9-]+\.[a-z]{2,}", text, re.IGNORECASE), "an e-mail address"
