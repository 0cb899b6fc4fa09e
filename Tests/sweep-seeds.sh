#!/usr/bin/env bash
# The full seed sweep of issue 8: every chapter in quick mode for seeds FIRST..LAST (default 0..99),
# each seed in its own process and output folder. Prints one line per failing chapter and seed
# (from the run's results.json files) and a summary; exits 1 when anything failed.
#
#   Tests/sweep-seeds.sh            # seeds 0-99
#   Tests/sweep-seeds.sh 0 9        # seeds 0-9
#   CHAPTERS="5 8" Tests/sweep-seeds.sh
#   CNN_LESSONS_BINARY=.build/release/cnn-lessons Tests/sweep-seeds.sh   # skip the build
set -u
cd "$(dirname "$0")/.."
first=${1:-0}
last=${2:-99}
chapters=${CHAPTERS:-all}
if [ -n "${CNN_LESSONS_BINARY:-}" ]; then
  binary=$CNN_LESSONS_BINARY  # an already-built binary, e.g. .build/release/cnn-lessons
else
  swift build -c release --product cnn-lessons >/dev/null || { echo "build failed" >&2; exit 2; }
  binary="$(swift build -c release --show-bin-path)/cnn-lessons"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cnn-sweep.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
runs=0
start=$(date +%s)
for seed in $(seq "$first" "$last"); do
  out="$work/seed-$seed"
  # shellcheck disable=SC2086
  if ! timeout 600 "$binary" run $chapters --quick --seed "$seed" --output "$out" >"$work/log" 2>&1; then
    status=$?
    reported=0
    for results in "$out"/*/results.json; do
      [ -f "$results" ] || continue
      python3 - "$results" "$seed" <<'PY' && continue
import json, sys
r = json.load(open(sys.argv[1]))
if r["passed"]:
    sys.exit(0)
failed = [c["name"] for c in r["checks"] if not c["passed"]]
why = r["error"] or "failed checks: " + "; ".join(failed)
print(f"FAIL chapter {r['chapter']} seed {sys.argv[2]}: {why}")
sys.exit(1)
PY
      reported=$((reported + 1))
    done
    if [ "$reported" -eq 0 ]; then
      echo "FAIL seed $seed: exit status $status: $(tail -n 1 "$work/log")"
      reported=1
    fi
    failures=$((failures + reported))
  fi
  runs=$((runs + 1))
  rm -rf "$out"
done
echo "Seed sweep: chapters '$chapters', seeds $first-$last ($runs runs, $(( $(date +%s) - start )) s): $failures failure(s)."
[ "$failures" -eq 0 ]
