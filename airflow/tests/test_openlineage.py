"""OpenLineage under Airflow: Medallion's task events name the Airflow task instance that ran them as their parent.

The first DAG run (conftest.py) has the OpenLineage provider on with its file transport
(AIRFLOW__OPENLINEAGE__TRANSPORT) and Medallion on with the clients' variables (OPENLINEAGE__TRANSPORT__TYPE=file).
Each task hands Medallion the ids of its task instance and DAG run from the provider's macros
(OPENLINEAGE_PARENT_ID, OPENLINEAGE_ROOT_PARENT_ID); the provider's own events say which ids those are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import AIRFLOW_OPENLINEAGE_NAMESPACE, MEDALLION_OPENLINEAGE_NAMESPACE, Deployment
from harness import DAG_ID, DAGS_FOLDER, EXPECTED_UPSTREAM, DagRun, read_json_lines

Events = list[dict[str, Any]]


def by_job(events: Events, namespace: str) -> dict[str, Events]:
    jobs: dict[str, Events] = defaultdict(list)
    for event in events:
        if event["job"]["namespace"] == namespace:
            jobs[event["job"]["name"]].append(event)
    return jobs


@pytest.fixture(scope="module")
def airflow_jobs(deployment: Deployment, first_run: tuple[DagRun, Any]) -> dict[str, Events]:
    """The provider's events of the first run (the only run with OpenLineage on), by job name."""
    return by_job(read_json_lines(deployment.airflow_events), AIRFLOW_OPENLINEAGE_NAMESPACE)


@pytest.fixture(scope="module")
def medallion_jobs(deployment: Deployment, first_run: tuple[DagRun, Any]) -> dict[str, Events]:
    """Medallion's events of the first run, by job name."""
    return by_job(read_json_lines(deployment.medallion_events), MEDALLION_OPENLINEAGE_NAMESPACE)


def run_id_of(events: Events) -> str:
    [run_id] = {event["run"]["runId"] for event in events}
    return run_id


def test_the_provider_reported_every_task_instance_and_the_dag_run(airflow_jobs: dict[str, Events]) -> None:
    for task in EXPECTED_UPSTREAM:
        events = airflow_jobs[f"{DAG_ID}.{task}"]
        assert [event["eventType"] for event in events] == ["START", "COMPLETE"], task
        run_id_of(events)  # one run id per task instance
    assert "COMPLETE" in [event["eventType"] for event in airflow_jobs[DAG_ID]]
    run_id_of(airflow_jobs[DAG_ID])


def test_each_medallion_event_names_its_airflow_task_instance_as_parent(airflow_jobs: dict[str, Events], medallion_jobs: dict[str, Events]) -> None:
    dag_run_id = run_id_of(airflow_jobs[DAG_ID])
    for task in EXPECTED_UPSTREAM:
        airflow_job = f"{DAG_ID}.{task}"
        task_instance_run_id = run_id_of(airflow_jobs[airflow_job])
        events = medallion_jobs[f"{DAG_ID}.{task}"]
        assert [event["eventType"] for event in events] == ["START", "COMPLETE"], task
        # Medallion's run is a run of its own, a child of the task instance's.
        assert run_id_of(events) != task_instance_run_id
        for event in events:
            parent = event["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == task_instance_run_id, task
            assert parent["job"] == {"namespace": AIRFLOW_OPENLINEAGE_NAMESPACE, "name": airflow_job}, task
            # The root is the Airflow DAG run, as in the provider's own events.
            assert parent["root"]["run"]["runId"] == dag_run_id, task
            assert parent["root"]["job"] == {"namespace": AIRFLOW_OPENLINEAGE_NAMESPACE, "name": DAG_ID}, task
    # The ids are the provider's: its task events carry the same DAG run as their parent.
    for task in EXPECTED_UPSTREAM:
        for event in airflow_jobs[f"{DAG_ID}.{task}"]:
            assert event["run"]["facets"]["parent"]["run"]["runId"] == dag_run_id


# Prints each task's outlets (Asset URIs) as the DAG declares them under an environment.
OUTLETS = f"""
import json
from airflow.models import DagBag

dag = DagBag(dag_folder={str(DAGS_FOLDER)!r}).dags[{DAG_ID!r}]
print(json.dumps({{task.task_id: [asset.uri for asset in task.outlets] for task in dag.tasks}}))
"""


def openlineage_name(uri: str) -> tuple[str, str]:
    """An Asset URI as OpenLineage names the dataset: what the providers' converters (postgres, file, s3) do, and
    namespace + name for clickhouse://host:port/<database>.<table>."""
    parsed = urlsplit(uri)
    if parsed.scheme == "file":
        return "file", parsed.path
    if parsed.scheme == "postgres":
        return f"postgres://{parsed.netloc}", ".".join(parsed.path.strip("/").split("/"))
    return f"{parsed.scheme}://{parsed.netloc}", parsed.path.lstrip("/")


def test_the_assets_of_each_task_are_the_datasets_medallion_reports_writing(deployment: Deployment, medallion_jobs: dict[str, Events]) -> None:
    outlets = deployment.airflow.python(OUTLETS, env=deployment.env)
    assert any(outlets.values())
    for task, uris in outlets.items():
        [complete] = [event for event in medallion_jobs[f"{DAG_ID}.{task}"] if event["eventType"] == "COMPLETE"]
        written = {(output["namespace"], output["name"]) for output in complete.get("outputs", [])}
        # The gold tables, lake tables and PostgreSQL tables Medallion wrote: ClickHouse names gold.*, the lake is a
        # file/s3 namespace, PostgreSQL a postgres:// one.
        wanted = {
            (namespace, name)
            for namespace, name in written
            if name.startswith("gold.") or namespace == "file" or namespace.startswith(("s3://", "postgres://"))
        }
        assert {openlineage_name(uri) for uri in uris} == wanted, task


def test_the_provider_names_the_lake_as_medallion_does(airflow_jobs: dict[str, Events], medallion_jobs: dict[str, Events], deployment: Deployment) -> None:
    """The provider turns file:// outlets into OpenLineage datasets itself: the same datasets as Medallion's."""
    task = f"{DAG_ID}.export_gold_to_s3"
    [airflow_complete] = [event for event in airflow_jobs[task] if event["eventType"] == "COMPLETE"]
    [medallion_complete] = [event for event in medallion_jobs[task] if event["eventType"] == "COMPLETE"]
    from_airflow = {(output["namespace"], output["name"]) for output in airflow_complete["outputs"]}
    assert from_airflow == {("file", str(deployment.lake / table)) for table in ("agg_events_hourly", "rpt_daily_summary")}
    assert from_airflow == {(output["namespace"], output["name"]) for output in medallion_complete["outputs"]}


def test_the_parent_ids_were_rendered_into_the_task_environment(deployment: Deployment, first_run: tuple[DagRun, Any], airflow_jobs: dict[str, Events]) -> None:
    run, _ = first_run
    [rendered] = deployment.airflow.sql(
        "SELECT rendered_fields FROM rendered_task_instance_fields WHERE run_id = ? AND task_id = 'load_bronze'", run.run_id
    )
    env = json.loads(rendered["rendered_fields"])["env"]
    task_run_id = run_id_of(airflow_jobs[f"{DAG_ID}.load_bronze"])
    dag_run_id = run_id_of(airflow_jobs[DAG_ID])
    assert env["OPENLINEAGE_PARENT_ID"] == f"{AIRFLOW_OPENLINEAGE_NAMESPACE}/{DAG_ID}.load_bronze/{task_run_id}"
    assert env["OPENLINEAGE_ROOT_PARENT_ID"] == f"{AIRFLOW_OPENLINEAGE_NAMESPACE}/{DAG_ID}/{dag_run_id}"
