#!/usr/bin/env bash
# The iacsieve GitHub Action's filter step (action.yml runs it; tests run it directly).
# Inputs come as INPUT_* variables; writes the SARIF, prints a table of the detections to the log and the
# job summary, sets the step outputs (sarif, exit-code, kept, summary) and exits like `iacsieve filter`:
# 0 nothing kept, 1 detections kept (of the --fail-on smells), 2 error (no SARIF written).
set -uo pipefail

glitch_csv=${INPUT_GLITCH_CSV:?input glitch-csv is required}
scripts=${INPUT_SCRIPTS:-.}
model=${INPUT_MODEL:-models/champion}
sarif=${INPUT_SARIF:-iacsieve.sarif}
iacsieve=${INPUT_IACSIEVE:-iacsieve}

args=(--scripts "$scripts" --model "$model")
read -r -d '' -a csvs <<< "$glitch_csv" || true   # one or more paths, separated by spaces or newlines
for csv in "${csvs[@]}"; do args+=(--glitch "$csv"); done
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
[ "${INPUT_KEEP_ALL:-false}" = "true" ] && args+=(--keep-all)
status_args=()
[ "${INPUT_EXIT_ZERO:-false}" = "true" ] && status_args+=(--exit-zero)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$iacsieve" filter "${args[@]}" "${status_args[@]}" --format sarif --force -o "$sarif" 2> "$log"
rc=$?
cat "$log" >&2
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "::error::iacsieve filter failed (exit $rc): $(tail -n 1 "$log")"
    exit 2
fi
summary=$(grep '^iacsieve filter: ' "$log" | tail -n 1 | sed 's/^iacsieve filter: //')
kept=$(sed -n 's/.*: \([0-9][0-9]*\) kept,.*/\1/p' <<< "$summary")

# The same detections as a table, for people reading the log (scored again: well under a second with ONNX).
table=$("$iacsieve" filter "${args[@]}" --exit-zero --format table 2> /dev/null)
echo "$table"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "sarif=$sarif"
        echo "exit-code=$rc"
        echo "kept=${kept:-0}"
        echo "summary=$summary"
    } >> "$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '### iacsieve filter\n\n%s\n\n```\n%s\n```\n' "$summary" "$table" >> "$GITHUB_STEP_SUMMARY"
fi
if [ "$rc" -eq 1 ]; then
    echo "::error::iacsieve kept ${kept:-some} GLITCH detection(s) as likely true positives (see $sarif)"
fi
exit "$rc"
