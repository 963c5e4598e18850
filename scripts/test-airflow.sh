#!/usr/bin/env bash
# The Airflow suite (npm run test:airflow): a real Apache Airflow runs airflow/dags/medallion_etl.py.
#  1. installs Airflow, its providers and pytest (airflow/requirements-test.txt, every version pinned by
#     airflow/constraints-3.3.2.txt) into .venv-airflow/ unless they are already there;
#  2. builds the TypeScript CLI (dist/, and the task graph the DAG reads, airflow/dags/medallion_graph.json);
#  3. prepares an isolated AIRFLOW_HOME in a temp dir (sqlite metadata DB, `airflow db migrate`);
#  4. runs airflow/tests with pytest. Exit status is pytest's; its summary line is printed last.
# Idempotent; needs only PyPI (first run) and the repository after `npm ci`.
# Environment: PYTHON (interpreter for the venv, default python3), MEDALLION_AIRFLOW_VENV (venv path),
# MEDALLION_KEEP_AIRFLOW_HOME=1 (keep the temp AIRFLOW_HOME for inspection); extra arguments go to pytest,
# except `install` alone: step 1 only (CI does it ahead, in the background).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MEDALLION_AIRFLOW_VENV:-$root/.venv-airflow}"
python="${PYTHON:-python3}"
requirements="$root/airflow/requirements-test.txt"
constraints="$root/airflow/constraints-3.3.2.txt"
stamp="$venv/.medallion-requirements"

step() { printf '\n== %s\n' "$*" >&2; }

# 1. Airflow as Airflow installs: the requirements under its constraints file; again only when one of them changes.
wanted="$(cat "$root/airflow/requirements.txt" "$requirements" "$constraints" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/airflow" || ! -x "$venv/bin/pytest" || "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]]; then
  step "Installing Apache Airflow 3.3.2 under airflow/constraints-3.3.2.txt into ${venv#"$root"/} (once)"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" -c "$constraints"
  echo "$wanted" >"$stamp"
fi
[[ "${1:-}" != install ]] || exit 0

# 2. The CLI the DAG runs.
# Always rebuilt (a few seconds): the DAG runs dist/, which must be the code under test, not an older build.
[[ -d "$root/node_modules" ]] || { echo "node_modules is missing: run npm install first" >&2; exit 1; }
step "Building the TypeScript CLI"
(cd "$root" && npm run build --silent)

# 3. An AIRFLOW_HOME of our own, outside the repository.
work="$(mktemp -d "${TMPDIR:-/tmp}/medallion-airflow.XXXXXX")"
if [[ "${MEDALLION_KEEP_AIRFLOW_HOME:-}" == 1 ]]; then
  echo "AIRFLOW_HOME and test data are kept in $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
# Only this suite's settings: nothing from the caller's Airflow, Medallion or OpenLineage configuration.
while IFS= read -r name; do unset "$name"; done < <(env | grep -oE '^(AIRFLOW_[A-Z0-9_]*|MEDALLION_[A-Z0-9_]*|OPENLINEAGE_[A-Z0-9_]*)' || true)
export AIRFLOW_HOME="$work/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$root/airflow/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export PYTHONDONTWRITEBYTECODE=1
export TMPDIR="$work"
mkdir -p "$AIRFLOW_HOME"
step "Preparing AIRFLOW_HOME (sqlite metadata DB)"
if ! "$venv/bin/airflow" db migrate >"$work/db-migrate.log" 2>&1; then
  tail -n 40 "$work/db-migrate.log" >&2
  echo "airflow db migrate failed" >&2
  exit 1
fi

# 4. The tests. pytest's own summary line is the last line printed.
step "Running airflow/tests"
cd "$root"
set +e
"$venv/bin/python" -m pytest -p no:cacheprovider --tb=short -ra "${@:-airflow/tests}"
status=$?
set -e
exit "$status"
