#!/usr/bin/env bash
# Compares mailtrace with SpamAssassin's Received parser and with grep, in one
# run on the same mbox (issue 7). Needs: go, perl, Debian's spamassassin
# package, GNU time. Usage: scripts/bench-compare.sh [N]   (default 20000)
#
# RUNS (default 3) rounds are run; each round runs the three tools one after
# the other, so that the shared machine's drift touches all three alike, and
# the median of each tool's rounds is reported. Wall time is read with
# microsecond resolution (bash's EPOCHREALTIME): GNU time's %e has 10 ms
# steps, the size of grep's whole run. Peak RSS is GNU time's %M.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/mailtrace" ./cmd/mailtrace
go run ./scripts/mkmbox -n "$n" -o "$work/bench.mbox" testdata/sample.eml testdata/conformance/messages/*.eml
size=$(du -m "$work/bench.mbox" | cut -f1)
echo "mbox: $n messages, ${size} MB; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); median of $runs rounds"

# run NAME COMMAND...: one timed run; appends "seconds kilobytes" to NAME.runs.
run() {
  local name=$1; shift
  local t0=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/time" "$@" > "$work/$name.out" 2>/dev/null
  local t1=$EPOCHREALTIME
  echo "$(echo "${t1/./} - ${t0/./}" | bc) $(cat "$work/time")" >> "$work/$name.runs"
}
# median NAME: the median run's "microseconds kilobytes" (by time).
median() { sort -n "$work/$1.runs" | sed -n "$(( ($(wc -l < "$work/$1.runs") + 1) / 2 ))p"; }

for ((i = 0; i < runs; i++)); do
  run grep grep -c '^Received:' "$work/bench.mbox"
  run mailtrace "$work/mailtrace" scan --offline --quiet --format jsonl "$work/bench.mbox"
  lines=$(wc -l < "$work/mailtrace.out")
  [ "$lines" -eq "$n" ] || { echo "mailtrace wrote $lines reports for $n messages" >&2; exit 1; }
  run spamassassin perl scripts/sa-received.pl "$work/bench.mbox"
done

for name in grep mailtrace spamassassin; do
  read -r us kb < <(median "$name")
  all=$(sort -n "$work/$name.runs" | awk '{printf "%s%.3f", (NR > 1 ? " " : ""), $1 / 1e6}')
  printf '%-14s %9.3f s  %9.0f msg/s  peak RSS %6.1f MB   (runs: %s s)\n' "$name" \
    "$(echo "$us / 1000000" | bc -l)" "$(echo "$n * 1000000 / $us" | bc -l)" "$(echo "$kb / 1024" | bc -l)" "$all"
  echo "$us" > "$work/$name.median"
done
cat "$work/spamassassin.out"
g=$(cat "$work/grep.median"); m=$(cat "$work/mailtrace.median"); s=$(cat "$work/spamassassin.median")
printf 'mailtrace is %.0fx faster than SpamAssassin and %.1fx the grep floor (medians)\n' \
  "$(echo "$s / $m" | bc -l)" "$(echo "$m / $g" | bc -l)"
