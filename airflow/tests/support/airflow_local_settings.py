"""Airflow cluster policy for the test suite only (found through PYTHONPATH set by the `airflow` fixture).

The DAG retries a failed task once after 5 minutes. `airflow dags test` honours that delay, so a
forced-failure run would wait 5 minutes between the two attempts; with MEDALLION_TEST_RETRY_DELAY_SECONDS
set, the retry comes after that many seconds instead. The DAG file itself stays as deployed.
"""

from __future__ import annotations

import os
from datetime import timedelta


def task_policy(task) -> None:  # noqa: ANN001 - Airflow passes its operator
    seconds = os.environ.get("MEDALLION_TEST_RETRY_DELAY_SECONDS")
    if seconds:
        task.retry_delay = timedelta(seconds=float(seconds))
