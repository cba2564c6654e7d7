#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for a budget each:
#   scripts/fuzz.sh GO 60s   (make fuzz)      scripts/fuzz.sh GO 4s   (make test)
# A finding fails the run; go test writes the input under the package's
# testdata/fuzz/<Target>/ so that it becomes a regression seed once committed.
set -euo pipefail
GO=${1:-go}
budget=${2:-60s}
cd "$(dirname "$0")/.."
n=0
for pkg in $(git grep -l -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' -- '*_test.go' | xargs -n1 dirname | sort -u); do
  for target in $("$GO" test -list '^Fuzz' "./$pkg" | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($budget)"
    "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime 5s "./$pkg" >/tmp/saltgo-fuzz.$$ 2>&1 || {
      cat /tmp/saltgo-fuzz.$$ >&2; rm -f /tmp/saltgo-fuzz.$$
      echo "fuzz: $pkg $target found a failing input (see above)" >&2
      exit 1
    }
    n=$((n + 1))
  done
done
rm -f /tmp/saltgo-fuzz.$$
[ "$n" -gt 0 ] || { echo "fuzz: no fuzz target found" >&2; exit 1; }
echo "fuzz: $n targets, $budget each, no finding"
