#!/usr/bin/env bash
# Checks OpenLineage events with the official OpenLineage Java client (OpenLineageCheck.java beside this
# script): each file given holds one RunEvent in JSON per line. Prints one JSON line per event and exits 1
# if any is refused.
#
# The client (io.openlineage:openlineage-java, pinned in pom.xml) and its dependencies come from Maven
# Central on first use into ~/.cache/medallion/openlineage-check (about 10 s and 25 MB); Maven only
# resolves the classpath, and Java runs the check from source. Needs a JDK (17+) and Maven. `run.sh install`
# only resolves the client (CI does it ahead, in the background).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache="${MEDALLION_CACHE_DIR:-$HOME/.cache/medallion}/openlineage-check"
classpath="$cache/classpath-$(sha256sum "$here/pom.xml" | cut -c1-16).txt"

resolved() {
  [ -s "$classpath" ] || return 1
  local jar
  # A cache pruned since: resolve again.
  IFS=':' read -ra jars < "$classpath"
  for jar in "${jars[@]}"; do [ -f "$jar" ] || return 1; done
}

if ! resolved; then
  mkdir -p "$cache"
  mvn -B -q -Dstyle.color=never --no-transfer-progress -f "$here/pom.xml" -Dmaven.repo.local="$cache/m2" dependency:build-classpath -Dmdep.outputFile="$classpath.tmp" >&2
  mv "$classpath.tmp" "$classpath"
fi
[ "${1:-}" != install ] || exit 0
exec java -cp "$(cat "$classpath")" "$here/OpenLineageCheck.java" "$@"
