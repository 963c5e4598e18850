"""
### medallion_etl — hourly medallion ETL under Apache Airflow

Hourly medallion-architecture ETL with a **catalog**, **quarantine**, **gold audit trail**,
**SCD Type 2**, **Parquet lake export**, **PostgreSQL (Aurora) delivery** and **delivery validation**.
Airflow only orchestrates: every task runs the Medallion command line
(`medallion task <task_id> --run-id <Airflow run id> --start <data interval start> --end <data interval end>`),
so Airflow's run id is the batch id in `catalog.pipeline_runs`, and the task graph below is read from
`medallion dag --json` (declared once, in TypeScript).

```
ensure_all_tables → register_catalog → start_pipeline_run → load_bronze → quarantine_invalid_rows
  → transform_silver → update_dim_users (SCD2) → snapshot_gold_history
  → { aggregate_gold_hourly ∥ aggregate_gold_daily } → verify_pipeline (quality gate)
  → export_gold_to_s3 (Parquet lake) → load_aurora (PostgreSQL) → validate_delivery → complete_pipeline_run
```

- **Catalog**: table and column registry, data lineage, pipeline runs, validation log, benchmark log.
- **Bronze**: raw events in `bronze.stg_events`, append-only, the audit trail.
- **Quarantine**: invalid rows (empty `event_id` / `user_name`) in `silver.quarantine_events` with the reasons.
- **Silver**: cleaned and deduplicated `silver.fact_events`, `silver.dim_users` (SCD Type 2).
- **Gold**: `gold.agg_events_hourly` and `gold.rpt_daily_summary` (in parallel), snapshotted to `*_history` first.
- **Delivery**: touched partitions to the Parquet lake and upserted into PostgreSQL, then compared.

**Configuration** (all optional, read at run time — nothing in this file):
Connections `medallion_clickhouse` (ClickHouse over HTTP) and `medallion_postgres` (PostgreSQL / Aurora);
Variables `medallion_lake_url` (a directory or `s3://<bucket>/<prefix>`), `medallion_alert_email`,
`medallion_s3_endpoint`, `medallion_postgres_schema`, `medallion_home`, `medallion_clickhouse_conn_id`,
`medallion_postgres_conn_id`. With none set, the tasks use the embedded engines (chDB, PGlite) and a lake
directory under `MEDALLION_HOME` (default `$AIRFLOW_HOME/medallion`).

**XCom**: each task returns its result (`summary`, `rowsIn`, `rowsOut`, `metrics`) and pushes every metric
under its own key (`bronze_rows`, `quarantined_rows`, `silver_new_rows`, `dim_users_new`, `gold_hourly_rows`, …).

**Failure**: a task that still fails after its retry fails the run; the DAG's failure callback marks the run
`failed` in `catalog.pipeline_runs` (`medallion fail-run`), and `email_on_failure` alerts the address in the
`medallion_alert_email` Variable when SMTP is configured.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Connection, CronDataIntervalTimetable, Variable
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret

log = logging.getLogger(__name__)

DAG_ID = "medallion_etl"
REPOSITORY = Path(__file__).resolve().parents[2]

# Names of the optional Airflow Connections and Variables (names only: values live in Airflow).
DEFAULT_CLICKHOUSE_CONN_ID = "medallion_clickhouse"
DEFAULT_POSTGRES_CONN_ID = "medallion_postgres"
ALERT_EMAIL_VARIABLE = "medallion_alert_email"


# ── The command line ─────────────────────────────────────────────────────────────────────────────


def medallion_cli() -> list[str]:
    """The Medallion CLI: $MEDALLION_CLI, else this repository's build, else `medallion` on the PATH."""
    configured = os.environ.get("MEDALLION_CLI", "").strip()
    if configured:
        return shlex.split(configured)
    linked = REPOSITORY / "node_modules" / ".bin" / "medallion"
    if linked.exists():
        return [str(linked)]
    built = REPOSITORY / "dist" / "cli" / "main.js"
    if built.exists():
        return [shutil.which("node") or "node", str(built)]
    on_path = shutil.which("medallion")
    if on_path:
        return [on_path]
    raise RuntimeError(
        f"The medallion CLI was not found: run `npm ci` (or `npm run build`) in {REPOSITORY}, "
        "or set MEDALLION_CLI to the command (e.g. /opt/medallion/node_modules/.bin/medallion)."
    )


def pipeline_graph(cli: list[str]) -> list[dict[str, Any]]:
    """The 15 tasks and their upstream tasks, as the TypeScript pipeline declares them."""
    try:
        done = subprocess.run([*cli, "dag", "--json"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as error:
        raise RuntimeError(f"Could not run {shlex.join(cli)} dag --json: {error}") from error
    if done.returncode != 0:
        raise RuntimeError(f"`{shlex.join(cli)} dag --json` exited with {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout)["tasks"]


# ── Configuration from Airflow, resolved at run time ─────────────────────────────────────────────


def _variable(key: str) -> str:
    value = Variable.get(key, default=None)
    return str(value).strip() if value is not None else ""


def setting(variable: str, environment_variable: str) -> str:
    """An Airflow Variable, else the worker's environment variable, else "" (the CLI's default)."""
    return _variable(variable) or os.environ.get(environment_variable, "")


def _connection(variable_with_id: str, default_id: str) -> Connection | None:
    conn_id = _variable(variable_with_id) or default_id
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def secret_forms(secret: str) -> set[str]:
    """Every form in which a password can be printed: as is, percent-encoded (in a URL's userinfo, path or
    query), form-encoded, and escaped inside JSON (rendered fields are stored as JSON)."""
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]}


def url_credentials(login: str | None, password: str | None, default_login: str = "") -> str:
    """`login:password@` for a URL, both percent-encoded with nothing left safe, so `@ / : % # ?` and spaces
    stay inside them (the CLI refuses a URL whose login or password holds them unencoded). The password is
    registered with Airflow's masker in every form it can appear in before the URL exists anywhere."""
    login = login or (default_login if password else "")
    if not login:
        return ""
    if not password:
        return f"{quote(login, safe='')}@"
    for form in secret_forms(password):
        mask_secret(form)
    return f"{quote(login, safe='')}:{quote(password, safe='')}@"


def _credentials(conn: Connection, default_login: str = "") -> str:
    return url_credentials(conn.login, conn.password, default_login)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def clickhouse_url() -> str:
    """MEDALLION_CLICKHOUSE_URL from the ClickHouse Connection (HTTP interface), else the worker's env."""
    conn = _connection("medallion_clickhouse_conn_id", DEFAULT_CLICKHOUSE_CONN_ID)
    if conn is None or not conn.host:
        return os.environ.get("MEDALLION_CLICKHOUSE_URL", "")
    extra = conn.extra_dejson
    host = conn.host.rstrip("/")
    given_scheme, _, bare_host = host.rpartition("://")  # a host entered as https://ch.example.com
    secure = _truthy(extra.get("secure")) or "https" in (extra.get("protocol"), conn.conn_type, given_scheme)
    scheme = "https" if secure else "http"
    port = conn.port or (8443 if secure else 8123)
    return f"{scheme}://{_credentials(conn, 'default')}{bare_host}:{port}"


def postgres_url() -> str:
    """MEDALLION_POSTGRES_URL from the PostgreSQL Connection, else the worker's env."""
    conn = _connection("medallion_postgres_conn_id", DEFAULT_POSTGRES_CONN_ID)
    if conn is None or not conn.host:
        return os.environ.get("MEDALLION_POSTGRES_URL", "")
    extra = conn.extra_dejson
    options = {key: str(extra[key]) for key in ("sslmode", "application_name") if extra.get(key)}
    database = quote(conn.schema or "postgres", safe="")
    url = f"postgresql://{_credentials(conn)}{conn.host}:{conn.port or 5432}/{database}"
    return url + (f"?{urlencode(options)}" if options else "")


def medallion_home() -> str:
    """Where the embedded engines and the default lake live: Variable, env, else $AIRFLOW_HOME/medallion."""
    configured = setting("medallion_home", "MEDALLION_HOME")
    airflow_home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return str(Path(configured or Path(airflow_home) / "medallion").expanduser().resolve())


def medallion_environment() -> dict[str, str]:
    """The CLI's environment for one task (what the templated `env` below renders to)."""
    return {
        "MEDALLION_FRAMEWORK": "airflow",
        "MEDALLION_HOME": medallion_home(),
        "MEDALLION_CLICKHOUSE_URL": clickhouse_url(),
        "MEDALLION_POSTGRES_URL": postgres_url(),
        "MEDALLION_POSTGRES_SCHEMA": setting("medallion_postgres_schema", "MEDALLION_POSTGRES_SCHEMA"),
        "MEDALLION_LAKE_URL": setting("medallion_lake_url", "MEDALLION_LAKE_URL"),
        "MEDALLION_S3_ENDPOINT": setting("medallion_s3_endpoint", "MEDALLION_S3_ENDPOINT"),
    }


# Rendered by Airflow when the task runs; empty values mean "not configured" to the CLI.
TASK_ENV = {
    "MEDALLION_FRAMEWORK": "airflow",
    "MEDALLION_HOME": "{{ medallion_home() }}",
    "MEDALLION_CLICKHOUSE_URL": "{{ medallion_clickhouse_url() }}",
    "MEDALLION_POSTGRES_URL": "{{ medallion_postgres_url() }}",
    "MEDALLION_POSTGRES_SCHEMA": "{{ medallion_setting('medallion_postgres_schema', 'MEDALLION_POSTGRES_SCHEMA') }}",
    "MEDALLION_LAKE_URL": "{{ medallion_setting('medallion_lake_url', 'MEDALLION_LAKE_URL') }}",
    "MEDALLION_S3_ENDPOINT": "{{ medallion_setting('medallion_s3_endpoint', 'MEDALLION_S3_ENDPOINT') }}",
}


# ── Tasks ────────────────────────────────────────────────────────────────────────────────────────


def task_command(cli: list[str], task_id: str) -> str:
    """The bash command of one task: the CLI's JSON result (last stdout line) becomes the task's output."""
    return "\n".join(
        [
            "set -eu",
            'result="$(mktemp)"',
            "trap 'rm -f \"$result\"' EXIT",
            f"{shlex.join(cli)} task {shlex.quote(task_id)}"
            " --run-id {{ run_id | shell_quote }}"
            " --start {{ data_interval_start | ts | shell_quote }}"
            " --end {{ data_interval_end | ts | shell_quote }}"
            ' --attempt {{ ti.try_number }} --json >"$result"',
            'tail -n 1 "$result"',
        ]
    )


class MedallionTaskOperator(BashOperator):
    """One pipeline task run once through the CLI; its row counts become XComs."""

    def __init__(self, *, cli: list[str], description: str, **kwargs: Any) -> None:
        super().__init__(
            bash_command=task_command(cli, kwargs["task_id"]),
            env=TASK_ENV,
            append_env=True,
            skip_on_exit_code=None,
            output_processor=json.loads,
            doc_md=description,
            **kwargs,
        )

    def execute(self, context: Any) -> dict[str, Any]:
        result = super().execute(context)
        for key, value in result.get("metrics", {}).items():
            context["ti"].xcom_push(key=key, value=value)
        self.log.info("%s: %s (rows in %s, rows out %s)", self.task_id, result["summary"], result["rowsIn"], result["rowsOut"])
        return result


def mark_run_failed(context: Any) -> None:
    """DAG failure callback: records the failed run and task in catalog.pipeline_runs."""
    ti = context.get("ti") or context.get("task_instance")
    start = context.get("data_interval_start")
    run_id = context.get("run_id")
    if ti is None or start is None or not run_id:
        log.warning("medallion fail-run skipped: the callback context has no failed task or data interval")
        return
    reason = context.get("reason") or "task_failure"
    error = f"task {ti.task_id} failed under Airflow ({reason}, try {ti.try_number}); see its log"
    command = [
        *medallion_cli(),
        "fail-run",
        "--start",
        start.isoformat(),
        "--task",
        ti.task_id,
        "--run-id",
        run_id,
        "--error",
        error,
    ]
    overrides = {key: value for key, value in medallion_environment().items() if value}
    done = subprocess.run(command, env={**os.environ, **overrides}, capture_output=True, text=True, timeout=600, check=False)
    for line in (done.stderr + done.stdout).splitlines():
        log.info("%s", line)
    if done.returncode != 0:
        raise RuntimeError(f"medallion fail-run exited with {done.returncode}")


# ── The DAG ──────────────────────────────────────────────────────────────────────────────────────

CLI = medallion_cli()

default_args = {
    "owner": "data-engineering",
    # Rendered when the alert is sent, so the address stays an Airflow Variable.
    "email": f"{{{{ var.value.get('{ALERT_EMAIL_VARIABLE}', '') }}}}",
    "email_on_failure": True,
    "email_on_retry": False,
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}

with DAG(
    dag_id=DAG_ID,
    description="Hourly medallion ETL: bronze → silver → gold in ClickHouse, delivered to a Parquet lake and PostgreSQL",
    # @hourly with data intervals: each run processes [data_interval_start, data_interval_end).
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["clickhouse", "etl", "medallion", "catalog", "scd2", "gold-audit", "s3-export", "aurora", "validation", "quarantine"],
    doc_md=__doc__,
    on_failure_callback=mark_run_failed,
    user_defined_macros={
        "medallion_home": medallion_home,
        "medallion_clickhouse_url": clickhouse_url,
        "medallion_postgres_url": postgres_url,
        "medallion_setting": setting,
    },
    user_defined_filters={"shell_quote": shlex.quote},
) as dag:
    graph = pipeline_graph(CLI)
    operators = {
        task["id"]: MedallionTaskOperator(task_id=task["id"], cli=CLI, description=task["description"])
        for task in graph
    }
    for task in graph:
        for upstream in task["upstream"]:
            operators[upstream] >> operators[task["id"]]
