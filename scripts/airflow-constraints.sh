#!/usr/bin/env bash
# Writes airflow/constraints-3.3.2.txt: one pinned version of every package that Apache Airflow 3.3.2, the
# providers of airflow/requirements.txt and the test tools of airflow/requirements-test.txt install, for every
# CPython from 3.10 on and every platform (uv's universal resolution from PyPI: where a package dropped Python
# 3.10, an environment marker keeps the last release that supports it). Then, with each of python3.10,
# python3.11 and python3.12 found on the PATH (or the interpreters named in PYTHONS), pip resolves the
# requirements against the file without installing anything (--dry-run), which proves it installs there.
#
# This is what Airflow's own constraints files are (constraints-<python>.txt on the constraints-3.3.2 branch
# of github.com/apache/airflow, served from raw.githubusercontent.com), resolved here because that host cannot
# be reached from every machine; where it can, upstream's file is a drop-in replacement:
#   pip install -r airflow/requirements.txt -c "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.2/constraints-3.11.txt"
#
# Run it after changing a requirements file or moving to another Airflow release (rename the file and the
# `constraints` path in scripts/test-airflow.sh). Needs python3 and PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
constraints="$root/airflow/constraints-3.3.2.txt"
uv_version="0.13.9"

tool="$(mktemp -d "${TMPDIR:-/tmp}/medallion-constraints.XXXXXX")"
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool/venv"
"$tool/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"

cd "$root/airflow"
"$tool/venv/bin/uv" pip compile --quiet --universal --python-version 3.10 \
  --custom-compile-command "scripts/airflow-constraints.sh" \
  requirements-test.txt -o "$constraints"
echo "wrote ${constraints#"$root"/} ($(grep -c '==' "$constraints") pins)" >&2

read -r -a pythons <<<"${PYTHONS:-python3.10 python3.11 python3.12}"
for python in "${pythons[@]}"; do
  if ! command -v "$python" >/dev/null || ! "$python" -c '' 2>/dev/null; then
    echo "$python: not found, not checked" >&2
    continue
  fi
  "$python" -m venv "$tool/check"
  if "$tool/check/bin/python" -m pip install --quiet --disable-pip-version-check --dry-run \
    -r requirements-test.txt -c "$constraints"; then
    echo "$python ($("$python" -c 'import platform; print(platform.python_version())')): resolves against the constraints" >&2
  else
    echo "$python: does NOT resolve against the constraints" >&2
    exit 1
  fi
  rm -rf "$tool/check"
done
