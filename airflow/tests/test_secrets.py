"""Connections reach the CLI through templating at run time, and their passwords never reach a log."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest

from harness import DAG_FILE, Airflow, DagRun, free_port

LOGICAL_DATE = "2026-11-23T18:00:00+00:00"
# Characters that break a URL unless encoded (@ / : % # ? and a space), and an Azure-style login user@server.
CLICKHOUSE_PASSWORD = "Ch@S3cret/pw#4711 %:?"
POSTGRES_LOGIN = "etl@medallion-srv"
POSTGRES_PASSWORD = "Pg/S3c@ret+pw:08#15 %?x"

# Logins and passwords the DAG must carry into a URL intact, and mask in every form.
AWKWARD_CREDENTIALS = [
    ("etl@myserver", "SECRETpw-Zq01"),
    ("bi", "Tr0ub@dor-Zq02"),
    ("bi", "Sl4sh/ed-Zq03"),
    ("bi", "C0l0n:P4ss:Zq04"),
    ("bi", "100%pure-Zq05"),
    ("bi", "H4sh#tag-Zq06"),
    ("bi", "Qu3ry?Pw=&-Zq07"),
    ("bi", "Two Words+Zq08"),
    ("us er/x:y", "p%40already-encoded-Zq09"),
    ("medallion", 'qu"ote\\back-Zq10'),
]


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
            "login": POSTGRES_LOGIN,
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


def forms(secret: str) -> set[str]:
    """A secret as written, percent-encoded (two ways), form-encoded and JSON-escaped."""
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]}


def secrets() -> list[str]:
    return sorted(forms(CLICKHOUSE_PASSWORD) | forms(POSTGRES_PASSWORD))


def test_tasks_used_the_connections_from_airflow(airflow: Airflow, run_with_connections: DagRun, port: int) -> None:
    assert run_with_connections.state == "failed"
    # The rendered environment of the task (what the UI shows) carries the servers, passwords masked.
    [rendered] = airflow.sql(
        "SELECT rendered_fields FROM rendered_task_instance_fields WHERE run_id = ? AND task_id = 'ensure_all_tables'",
        run_with_connections.run_id,
    )
    env = json.loads(rendered["rendered_fields"])["env"]
    assert env["MEDALLION_CLICKHOUSE_URL"] == f"http://medallion:***@127.0.0.1:{port}"
    assert env["MEDALLION_POSTGRES_URL"] == f"postgresql://etl%40medallion-srv:***@127.0.0.1:{port}/analytics?sslmode=disable"
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


# Imports the DAG file as a module, records what it hands to mask_secret, and builds URL credentials.
URL_CREDENTIALS = """
import importlib.util, json
spec = importlib.util.spec_from_file_location("medallion_etl_under_test", {dag_file!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
built = []
for login, password in {cases!r}:
    masked = []
    module.mask_secret = masked.append
    built.append({{"credentials": module.url_credentials(login, password), "masked": masked}})
print(json.dumps(built))
"""


@pytest.fixture(scope="module")
def built_credentials(airflow: Airflow) -> list[dict]:
    return airflow.python(URL_CREDENTIALS.format(dag_file=str(DAG_FILE), cases=AWKWARD_CREDENTIALS))


@pytest.mark.parametrize("index", range(len(AWKWARD_CREDENTIALS)))
def test_awkward_logins_and_passwords_are_percent_encoded_into_the_url(built_credentials: list[dict], index: int) -> None:
    login, password = AWKWARD_CREDENTIALS[index]
    credentials = built_credentials[index]["credentials"]
    # One `:` between login and password, one `@` at the end; no other delimiter left unencoded.
    assert credentials.endswith("@") and credentials.count("@") == 1 and credentials.count(":") == 1, credentials
    assert not set("/#? ") & set(credentials), credentials
    url = urlsplit(f"postgresql://{credentials}db.example.com:5432/analytics")
    # The URL reads back as exactly the login and password, with the host and port where they belong.
    assert (unquote(url.username or ""), unquote(url.password or "")) == (login, password)
    assert (url.hostname, url.port, url.path) == ("db.example.com", 5432, "/analytics")


@pytest.mark.parametrize("index", range(len(AWKWARD_CREDENTIALS)))
def test_every_form_of_a_password_is_registered_with_airflows_masker(built_credentials: list[dict], index: int) -> None:
    _, password = AWKWARD_CREDENTIALS[index]
    masked = set(built_credentials[index]["masked"])
    assert forms(password) <= masked
    # What the URL holds is among them.
    assert built_credentials[index]["credentials"].split(":", 1)[1][:-1] in masked


def test_a_login_without_a_password_is_encoded_and_nothing_is_masked(airflow: Airflow) -> None:
    [built] = airflow.python(URL_CREDENTIALS.format(dag_file=str(DAG_FILE), cases=[("etl@srv", None)]))
    assert built == {"credentials": "etl%40srv@", "masked": []}
