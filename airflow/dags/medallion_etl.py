"""
### medallion_etl — hourly medallion ETL under Apache Airflow

Hourly medallion-architecture ETL with a **catalog**, **quarantine**, **gold audit trail**,
**SCD Type 2**, **Parquet lake export**, **PostgreSQL (Aurora) delivery** and **delivery validation**.
Airflow only orchestrates: every task runs the Medallion command line
(`medallion task <task_id> --run-id <Airflow run id> --start <data interval start> --end <data interval end>`),
so Airflow's run id is the batch id in `catalog.pipeline_runs`. The task graph below is the one the
TypeScript pipeline declares, as `medallion dag --json` printed it when the CLI was built
(`medallion_graph.json` beside this file): nothing is run while Airflow parses the DAG.

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

**Configuration** (all optional). Read when a task runs: Connections `medallion_clickhouse` (ClickHouse over
HTTP) and `medallion_postgres` (PostgreSQL / Aurora); Variables `medallion_lake_url` (a directory or
`s3://<bucket>/<prefix>`), `medallion_s3_endpoint`, `medallion_postgres_schema`, `medallion_home`,
`medallion_clickhouse_conn_id`, `medallion_postgres_conn_id`, `medallion_alert_email`, `medallion_smtp_conn_id`.
With none set, the tasks use the embedded engines (chDB, PGlite) and a lake directory under `MEDALLION_HOME`
(default `$AIRFLOW_HOME/medallion`). Read when the DAG is parsed: the timeouts (`medallion_task_timeout_minutes`,
`medallion_task_timeout_minutes_by_task`, `medallion_dagrun_timeout_minutes`) and the locations the Assets name
(the same Connections' host, port and database, and the same Variables).

**Pool**: every task takes a slot of the `medallion_home` pool (`airflow pools set medallion_home 1 …`): one
task at a time on the embedded engines, which only one process can open.

**Assets**: the tasks that write the gold tables, the lake and the PostgreSQL tables declare them as outlets.

**XCom**: each task returns its result (`summary`, `rows_in`, `rows_out`, `metrics`) and pushes every metric
under its own key (`bronze_rows`, `quarantined_rows`, `silver_new_rows`, `dim_users_new`, `gold_hourly_rows`, …).

**Failure**: a task that still fails after its retry (or runs past its `execution_timeout`) fails the run; the
DAG's failure callbacks mark the run `failed` in `catalog.pipeline_runs` (`medallion fail-run`) and e-mail the
`medallion_alert_email` Variable through an `SmtpNotifier` when that Variable and the SMTP Connection exist.

**OpenLineage**: with `apache-airflow-providers-openlineage` installed and enabled, every task hands the ids of
its Airflow task instance and DAG run to Medallion (`OPENLINEAGE_PARENT_ID`, `OPENLINEAGE_ROOT_PARENT_ID`), so
Medallion's events name them as their parent.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset, Connection, CronDataIntervalTimetable, Variable
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret

log = logging.getLogger(__name__)

DAG_ID = "medallion_etl"
REPOSITORY = Path(__file__).resolve().parents[2]
# `medallion dag --json` as the build wrote it (scripts/finish-build.mjs), beside the real DAG file (symlinks followed).
GRAPH_FILE = Path(__file__).resolve().with_name("medallion_graph.json")

# Names of the optional Airflow Connections and Variables (names only: values live in Airflow).
DEFAULT_CLICKHOUSE_CONN_ID = "medallion_clickhouse"
DEFAULT_POSTGRES_CONN_ID = "medallion_postgres"
DEFAULT_SMTP_CONN_ID = "smtp_default"
ALERT_EMAIL_VARIABLE = "medallion_alert_email"
SMTP_CONN_ID_VARIABLE = "medallion_smtp_conn_id"
TASK_TIMEOUT_VARIABLE = "medallion_task_timeout_minutes"
TASK_TIMEOUTS_BY_TASK_VARIABLE = "medallion_task_timeout_minutes_by_task"
DAGRUN_TIMEOUT_VARIABLE = "medallion_dagrun_timeout_minutes"

# A task of a 50 M-event window takes minutes; one still running after an hour is hung, and holds the home.
DEFAULT_TASK_TIMEOUT_MINUTES = 60.0
# Above what 15 tasks, each retried once, take on a big window; past it the run fails and the next hour can start.
DEFAULT_DAGRUN_TIMEOUT_MINUTES = 240.0

# The pool every task takes a slot of. The embedded engines live in one directory that one process at a time
# can open, so it has 1 slot there; against servers it may have more (see README, "Pool").
POOL = "medallion_home"

# What the CLI's defaults are when nothing is configured (src/config.ts): where the Assets point then.
DEFAULT_POSTGRES_SCHEMA = "medallion_etl"
# chDB and PGlite run inside each task's process and have no address: Medallion's OpenLineage events name them
# clickhouse://localhost and postgres://localhost (src/openlineage/naming.ts); PGlite's one database is `postgres`.
EMBEDDED_CLICKHOUSE = "clickhouse://localhost"
EMBEDDED_POSTGRES = "postgres://localhost"
EMBEDDED_POSTGRES_DATABASE = "postgres"


# ── The command line and the graph ───────────────────────────────────────────────────────────────


def medallion_cli() -> list[str]:
    """The Medallion CLI: $MEDALLION_CLI, else this repository's build, else `medallion` on the PATH."""
    configured = os.environ.get("MEDALLION_CLI", "").strip()
    if configured:
        cli = shlex.split(configured)
        if not shutil.which(cli[0]):
            raise RuntimeError(f"MEDALLION_CLI is {configured!r}, but {cli[0]!r} is not an executable file or a command on the PATH.")
        return cli
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


def pipeline_graph(path: Path = GRAPH_FILE) -> list[dict[str, Any]]:
    """The 15 tasks, their upstream tasks and the datasets each writes, as the TypeScript pipeline declares them."""
    try:
        return json.loads(path.read_text())["tasks"]
    except FileNotFoundError as error:
        raise RuntimeError(
            f"{path} is missing: `npm run build` in {REPOSITORY} writes it (`medallion dag --json`); "
            "when this DAG file is copied rather than linked, copy that file beside it."
        ) from error


# ── Configuration from Airflow ───────────────────────────────────────────────────────────────────


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


def _clickhouse_server(conn: Connection) -> tuple[str, str, int]:
    """Scheme, host and port of the ClickHouse Connection's HTTP interface (a host may be given as https://…)."""
    extra = conn.extra_dejson
    given_scheme, _, bare_host = conn.host.rstrip("/").rpartition("://")
    secure = _truthy(extra.get("secure")) or "https" in (extra.get("protocol"), conn.conn_type, given_scheme)
    return ("https" if secure else "http"), bare_host, conn.port or (8443 if secure else 8123)


def clickhouse_url() -> str:
    """MEDALLION_CLICKHOUSE_URL from the ClickHouse Connection (HTTP interface), else the worker's env."""
    conn = _connection("medallion_clickhouse_conn_id", DEFAULT_CLICKHOUSE_CONN_ID)
    if conn is None or not conn.host:
        return os.environ.get("MEDALLION_CLICKHOUSE_URL", "")
    scheme, host, port = _clickhouse_server(conn)
    return f"{scheme}://{_credentials(conn, 'default')}{host}:{port}"


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


def openlineage_macro(name: str) -> str:
    """A macro of the OpenLineage provider for this task instance, rendered as "" when the provider is not installed
    or is disabled (its plugin then registers no macros), so the DAG runs the same without it."""
    plugin = "macros.OpenLineageProviderPlugin"
    return f"{{{{ {plugin}.{name}(task_instance) if {plugin} is defined and {plugin}.{name} is defined else '' }}}}"


# Rendered by Airflow when the task runs; empty values mean "not configured" to the CLI.
TASK_ENV = {
    "MEDALLION_FRAMEWORK": "airflow",
    "MEDALLION_HOME": "{{ medallion_home() }}",
    "MEDALLION_CLICKHOUSE_URL": "{{ medallion_clickhouse_url() }}",
    "MEDALLION_POSTGRES_URL": "{{ medallion_postgres_url() }}",
    "MEDALLION_POSTGRES_SCHEMA": "{{ medallion_setting('medallion_postgres_schema', 'MEDALLION_POSTGRES_SCHEMA') }}",
    "MEDALLION_LAKE_URL": "{{ medallion_setting('medallion_lake_url', 'MEDALLION_LAKE_URL') }}",
    "MEDALLION_S3_ENDPOINT": "{{ medallion_setting('medallion_s3_endpoint', 'MEDALLION_S3_ENDPOINT') }}",
    # `namespace/job_name/run_id` of this task instance and of its DAG run, as the provider's own events name
    # them: Medallion's events of the task carry them as their parent and root.
    "OPENLINEAGE_PARENT_ID": openlineage_macro("lineage_parent_id"),
    "OPENLINEAGE_ROOT_PARENT_ID": openlineage_macro("lineage_root_parent_id"),
}


# ── Timeouts (read when the DAG is parsed) ───────────────────────────────────────────────────────


def _minutes(value: Any, where: str) -> timedelta:
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        minutes = math.nan
    if not math.isfinite(minutes) or minutes <= 0:
        raise ValueError(f"{where} must be a number of minutes greater than 0, not {value!r}")
    return timedelta(minutes=minutes)


def dagrun_timeout() -> timedelta:
    """How long a DAG run may take: the Variable, else DEFAULT_DAGRUN_TIMEOUT_MINUTES."""
    return _minutes(_variable(DAGRUN_TIMEOUT_VARIABLE) or DEFAULT_DAGRUN_TIMEOUT_MINUTES, f"Variable {DAGRUN_TIMEOUT_VARIABLE}")


def task_timeouts(task_ids: list[str]) -> dict[str, timedelta]:
    """Each task's execution_timeout: its entry in the JSON object of medallion_task_timeout_minutes_by_task,
    else medallion_task_timeout_minutes, else DEFAULT_TASK_TIMEOUT_MINUTES. A task id that is not in the graph
    is refused: a typo would otherwise leave its task on the default without a word."""
    default = _minutes(_variable(TASK_TIMEOUT_VARIABLE) or DEFAULT_TASK_TIMEOUT_MINUTES, f"Variable {TASK_TIMEOUT_VARIABLE}")
    by_task_text = _variable(TASK_TIMEOUTS_BY_TASK_VARIABLE)
    try:
        by_task = json.loads(by_task_text) if by_task_text else {}
    except json.JSONDecodeError as error:
        raise ValueError(f"Variable {TASK_TIMEOUTS_BY_TASK_VARIABLE} must be a JSON object of task id → minutes: {error}") from error
    if not isinstance(by_task, dict):
        raise ValueError(f"Variable {TASK_TIMEOUTS_BY_TASK_VARIABLE} must be a JSON object of task id → minutes, not {by_task_text!r}")
    unknown = sorted(set(by_task) - set(task_ids))
    if unknown:
        raise ValueError(f"Variable {TASK_TIMEOUTS_BY_TASK_VARIABLE} names tasks that do not exist: {', '.join(unknown)}")
    return {
        task_id: _minutes(by_task[task_id], f"{TASK_TIMEOUTS_BY_TASK_VARIABLE}[{task_id!r}]") if task_id in by_task else default
        for task_id in task_ids
    }


# ── Assets (read when the DAG is parsed) ─────────────────────────────────────────────────────────
#
# What a task writes is declared in the graph (`writes`); the tasks writing the gold tables, the lake and the
# PostgreSQL tables declare them as outlets. Each URI is where the data is, with no credentials (host, port and
# database only), built the way Airflow's providers build Asset URIs so that the OpenLineage provider maps them
# onto the names Medallion's own OpenLineage events use:
#   gold.<table>               clickhouse://<host>:<port>/gold.<table>   (OpenLineage: clickhouse://<host>:<port> + gold.<table>)
#   lake.<table>               file://<lake directory>/<table>  or  s3://<bucket>/<prefix>/<table>
#   postgres.{schema}.<table>  postgres://<host>:<port>/<database>/<schema>/<table>   (Airflow's postgres form)


def clickhouse_namespace() -> str:
    """`clickhouse://host:port` of the ClickHouse Connection, else of MEDALLION_CLICKHOUSE_URL, else chDB's."""
    conn = _connection("medallion_clickhouse_conn_id", DEFAULT_CLICKHOUSE_CONN_ID)
    if conn is not None and conn.host:
        _, host, port = _clickhouse_server(conn)
        return f"clickhouse://{host}:{port}"
    configured = urlsplit(os.environ.get("MEDALLION_CLICKHOUSE_URL", ""))
    if configured.hostname:
        return f"clickhouse://{configured.hostname}:{configured.port or (8443 if configured.scheme == 'https' else 8123)}"
    return EMBEDDED_CLICKHOUSE


def postgres_location() -> str:
    """`postgres://host:port/database` of the PostgreSQL Connection, else of MEDALLION_POSTGRES_URL, else PGlite's."""
    conn = _connection("medallion_postgres_conn_id", DEFAULT_POSTGRES_CONN_ID)
    if conn is not None and conn.host:
        return f"postgres://{conn.host}:{conn.port or 5432}/{conn.schema or 'postgres'}"
    configured = urlsplit(os.environ.get("MEDALLION_POSTGRES_URL", ""))
    if configured.hostname:
        # As node-postgres reads the URL: no database means the login's name.
        database = configured.path.lstrip("/") or configured.username or "postgres"
        return f"postgres://{configured.hostname}:{configured.port or 5432}/{database}"
    return f"{EMBEDDED_POSTGRES}/{EMBEDDED_POSTGRES_DATABASE}"


def lake_location() -> str:
    """The lake as a URI: `s3://<bucket>/<prefix>`, or file:// and the absolute directory (default $MEDALLION_HOME/lake)."""
    configured = setting("medallion_lake_url", "MEDALLION_LAKE_URL").rstrip("/")
    if configured.startswith("s3://"):
        return configured
    directory = configured.removeprefix("file://") or os.path.join(medallion_home(), "lake")
    return f"file://{os.path.abspath(directory)}"


def asset_locations() -> dict[str, str]:
    """Where the gold tables, the lake and the PostgreSQL tables are: looked up once per parse."""
    schema = setting("medallion_postgres_schema", "MEDALLION_POSTGRES_SCHEMA") or DEFAULT_POSTGRES_SCHEMA
    return {"gold": clickhouse_namespace(), "lake": lake_location(), "postgres": f"{postgres_location()}/{schema}"}


def asset_uris(writes: list[str], locations: dict[str, str]) -> list[str]:
    """The Asset URIs of the gold tables, lake tables and PostgreSQL tables among a task's declared writes."""
    uris = []
    for dataset in writes:
        layer, _, rest = dataset.partition(".")
        if layer == "gold":
            uris.append(f"{locations['gold']}/{dataset}")
        elif layer == "lake":
            uris.append(f"{locations['lake']}/{rest}")
        elif layer == "postgres":  # postgres.{schema}.<table>: the schema is the configured one
            uris.append(f"{locations['postgres']}/{rest.rpartition('.')[2]}")
    return uris


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
        self.log.info("%s: %s (rows in %s, rows out %s)", self.task_id, result["summary"], result["rows_in"], result["rows_out"])
        return result


# ── When a run fails ─────────────────────────────────────────────────────────────────────────────


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


class FailureEmail(SmtpNotifier):
    """The failed run's alert, through Airflow's SMTP provider: sent when the `medallion_alert_email` Variable
    names an address and the SMTP Connection (`medallion_smtp_conn_id`, default `smtp_default`) exists; otherwise
    one log line says what is missing, and nothing fails (Airflow's `email_on_failure` logged a traceback)."""

    def get_template_env(self, dag: Any = None) -> Any:
        # `airflow dags test` hands DAG callbacks its serialized DAG, which cannot render: use this file's DAG.
        if dag is not None and not hasattr(dag, "get_template_env"):
            dag = globals().get("dag")
        return super().get_template_env(dag=dag)

    def notify(self, context: Any) -> None:
        if not self.to:
            self.log.info("No failure e-mail: the Variable %s names no address", ALERT_EMAIL_VARIABLE)
            return
        try:
            sender = Connection.get(self.smtp_conn_id).extra_dejson.get("from_email")
        except AirflowNotFoundException:
            self.log.warning("No failure e-mail to %s: the SMTP Connection %r does not exist", self.to, self.smtp_conn_id)
            return
        if not (self.from_email or sender):
            self.log.warning("No failure e-mail to %s: the SMTP Connection %r has no from_email in its extra", self.to, self.smtp_conn_id)
            return
        super().notify(context)


failure_email = FailureEmail(
    to=f"{{{{ var.value.get('{ALERT_EMAIL_VARIABLE}', '') }}}}",
    smtp_conn_id=f"{{{{ var.value.get('{SMTP_CONN_ID_VARIABLE}', '{DEFAULT_SMTP_CONN_ID}') }}}}",
    subject="Medallion run {{ run_id }} failed{{ ' at ' ~ ti.task_id if ti is defined and ti else '' }}",
    html_content=(
        "<p>The Medallion DAG run <b>{{ run_id }}</b> failed ({{ reason | default('task_failure') }}).</p>"
        "<p>Window: {{ data_interval_start | ts }} to {{ data_interval_end | ts }}"
        "{% if ti is defined and ti %}<br>Failed task: <b>{{ ti.task_id }}</b>, try {{ ti.try_number }}{% endif %}</p>"
        "<p>The run is marked failed in catalog.pipeline_runs: <code>medallion status --run-id {{ run_id }}</code>"
        " shows the error the task recorded; its log is in Airflow.</p>"
    ),
)


# ── The DAG ──────────────────────────────────────────────────────────────────────────────────────

CLI = medallion_cli()
GRAPH = pipeline_graph()
TIMEOUTS = task_timeouts([task["id"] for task in GRAPH])
LOCATIONS = asset_locations()

default_args = {
    "owner": "data-engineering",
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
    "pool": POOL,
}

with DAG(
    dag_id=DAG_ID,
    description="Hourly medallion ETL: bronze → silver → gold in ClickHouse, delivered to a Parquet lake and PostgreSQL",
    # @hourly with data intervals: each run processes [data_interval_start, data_interval_end).
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dagrun_timeout(),
    default_args=default_args,
    tags=["clickhouse", "etl", "medallion", "catalog", "scd2", "gold-audit", "s3-export", "aurora", "validation", "quarantine"],
    doc_md=__doc__,
    on_failure_callback=[mark_run_failed, failure_email],
    user_defined_macros={
        "medallion_home": medallion_home,
        "medallion_clickhouse_url": clickhouse_url,
        "medallion_postgres_url": postgres_url,
        "medallion_setting": setting,
    },
    user_defined_filters={"shell_quote": shlex.quote},
) as dag:
    operators = {
        task["id"]: MedallionTaskOperator(
            task_id=task["id"],
            cli=CLI,
            description=task["description"],
            execution_timeout=TIMEOUTS[task["id"]],
            outlets=[Asset(uri) for uri in asset_uris(task["writes"], LOCATIONS)],
        )
        for task in GRAPH
    }
    for task in GRAPH:
        for upstream in task["upstream"]:
            operators[upstream] >> operators[task["id"]]
