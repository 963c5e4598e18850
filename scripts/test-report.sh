#!/usr/bin/env bash
# The report in a real browser (npm run test:report): installs Debian's Chromium when it is missing, then runs
# test/report/*.test.ts, which open `medallion report`'s page from disk in headless Chromium (puppeteer-core),
# compare every chart's data with ClickHouse, and keep a screenshot in test-artifacts/report.png.
#
#   scripts/test-report.sh                                every browser test
#   scripts/test-report.sh test/report/browser.test.ts   some files
#   scripts/test-report.sh install                        only install the browser when missing (CI does it ahead)
#
# Environment: MEDALLION_CHROMIUM, the browser to drive (default /usr/bin/chromium, Debian's package). The
# tests fail, never skip, when it is not there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
chromium="${MEDALLION_CHROMIUM:-/usr/bin/chromium}"

say() { printf 'test-report: %s\n' "$*" >&2; }

if [[ ! -x "$chromium" && -z "${MEDALLION_CHROMIUM:-}" ]]; then
  say "installing Debian's chromium (and a font, so the screenshot has text)"
  sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
# Debian's wrapper script prints a harmless shell warning on some machines; the version line is what counts.
say "$("$chromium" --version 2>/dev/null || echo "no browser at $chromium")"
[[ "${1:-}" != install ]] || exit 0

export MEDALLION_CHROMIUM="$chromium"
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(test/report/*.test.ts)
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
