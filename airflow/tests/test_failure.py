"""A task that keeps failing under Airflow: retried once, then the run is failed in Airflow and in the catalog, and
the failure notifier e-mails the alert address through a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from harness import EXPECTED_UPSTREAM, Airflow, DagRun, free_port, pipeline_run, query, tail

LOGICAL_DATE = "2026-11-23T15:00:00+00:00"  # data interval [14:00, 15:00)
FAILING_TASK = "transform_silver"
UPSTREAM_OF_FAILURE = ["ensure_all_tables", "register_catalog", "start_pipeline_run", "load_bronze", "quarantine_invalid_rows"]


ALERT_ADDRESS = "oncall@example.com"
SENDER = "medallion-alerts@example.com"


class Mailbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("html", "plain"))
        self.messages.append(
            {"from": envelope.mail_from, "to": envelope.rcpt_tos, "subject": str(message["subject"]), "body": body.get_content() if body else ""}
        )
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1, for the run's duration."""
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module")
def medallion_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("medallion-home-failure")


@pytest.fixture(scope="module")
def failed_run(airflow: Airflow, medallion_home: Path, mailbox: tuple[Mailbox, int]) -> DagRun:
    _, port = mailbox
    smtp = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {"from_email": SENDER, "disable_ssl": True, "disable_tls": True, "timeout": 10}}
    env = airflow.environment(
        medallion_home,
        MEDALLION_FAIL_TASK=FAILING_TASK,  # fault injection: the task fails on every attempt
        MEDALLION_TEST_RETRY_DELAY_SECONDS="1",  # the retry comes after 1 s instead of 5 min (test policy)
        AIRFLOW_VAR_MEDALLION_ALERT_EMAIL=ALERT_ADDRESS,
        AIRFLOW_CONN_SMTP_DEFAULT=json.dumps(smtp),
    )
    return airflow.dags_test(LOGICAL_DATE, env)


def test_the_dag_run_fails_and_downstream_tasks_do_not_run(airflow: Airflow, failed_run: DagRun) -> None:
    assert failed_run.state == "failed", tail(failed_run.output, 150)
    assert failed_run.returncode != 0
    states = airflow.task_states(failed_run.run_id)
    assert states == {
        **{task: "upstream_failed" for task in EXPECTED_UPSTREAM},
        **{task: "success" for task in UPSTREAM_OF_FAILURE},
        FAILING_TASK: "failed",
    }


def test_the_failing_task_was_retried_once(airflow: Airflow, failed_run: DagRun, medallion_home: Path) -> None:
    [ti] = airflow.sql("SELECT try_number FROM task_instance WHERE run_id = ? AND task_id = ?", failed_run.run_id, FAILING_TASK)
    assert ti["try_number"] == 2
    attempts = query(
        f"SELECT attempt, status, error FROM catalog.benchmark_log WHERE run_id = '{failed_run.run_id}' AND task_name = '{FAILING_TASK}' ORDER BY attempt",
        medallion_home,
    )
    assert [(row["attempt"], row["status"]) for row in attempts] == [(1, "failed"), (2, "failed")]
    assert all(f"MEDALLION_FAIL_TASK={FAILING_TASK}" in row["error"] for row in attempts)
    # The CLI's error reaches the task log, and the non-zero exit is what failed the task.
    assert f"medallion: fault injected by MEDALLION_FAIL_TASK={FAILING_TASK}" in failed_run.output


def test_the_failure_callback_marks_the_run_failed_with_the_task_name(failed_run: DagRun, medallion_home: Path) -> None:
    row = pipeline_run(failed_run.run_id, medallion_home)
    assert (row["status"], row["failed_task"], row["framework"]) == ("failed", FAILING_TASK, "airflow")
    assert (row["window_start"], row["window_end"]) == ("2026-11-23 14:00:00", "2026-11-23 15:00:00")
    # The callback cannot see the exception; fail-run takes the one the failed attempt recorded.
    assert row["error"] == f"fault injected by MEDALLION_FAIL_TASK={FAILING_TASK}"
    assert row["finished_at"]
    assert "Executing on_failure dag callback: mark_run_failed" in failed_run.output
    # Nothing reached gold for the failed window.
    assert query("SELECT count() AS n FROM gold.agg_events_hourly", medallion_home) == [{"n": 0}]


def test_the_notifier_emails_the_alert_address_once(failed_run: DagRun, mailbox: tuple[Mailbox, int]) -> None:
    handler, _ = mailbox
    [message] = handler.messages
    assert (message["from"], message["to"]) == (SENDER, [ALERT_ADDRESS])
    assert message["subject"] == f"Medallion run {failed_run.run_id} failed at {FAILING_TASK}"
    assert f"<b>{failed_run.run_id}</b> failed" in message["body"]
    assert "Window: 2026-11-23T14:00:00+00:00 to 2026-11-23T15:00:00+00:00" in message["body"]
    assert f"Failed task: <b>{FAILING_TASK}</b>, try 2" in message["body"]
    assert f"medallion status --run-id {failed_run.run_id}" in message["body"]
    # Sent by the notifier, after the run was marked failed; no error on the way.
    assert "Callback failed" not in failed_run.output and "Failed to send" not in failed_run.output
