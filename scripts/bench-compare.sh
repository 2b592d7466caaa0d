#!/usr/bin/env bash
# Compares mailtrace with SpamAssassin's Received parser and with grep, in one
# run on the same mbox (issue 7). Needs: go, perl, Debian's spamassassin
# package, GNU time. Usage: scripts/bench-compare.sh [N]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -trimpath -o "$work/mailtrace" ./cmd/mailtrace
go run ./scripts/mkmbox -n "$n" -o "$work/bench.mbox" testdata/sample.eml testdata/conformance/messages/*.eml
size=$(du -m "$work/bench.mbox" | cut -f1)
echo "mbox: $n messages, ${size} MB; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

measure() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>/dev/null
  read -r secs kb < "$work/time"
  printf '%-34s %8.2f s  %8.0f msg/s  peak RSS %6.1f MB\n' "$name" "$secs" "$(echo "$n / ($secs + 0.0001)" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
  echo "$secs" > "$work/$name.secs"
}
measure grep grep -c '^Received:' "$work/bench.mbox"
measure mailtrace "$work/mailtrace" scan --offline --quiet --format jsonl "$work/bench.mbox"
lines=$(wc -l < "$work/out")
[ "$lines" -eq "$n" ] || { echo "mailtrace wrote $lines reports for $n messages" >&2; exit 1; }
measure spamassassin perl scripts/sa-received.pl "$work/bench.mbox"
cat "$work/out"
g=$(cat "$work/grep.secs"); m=$(cat "$work/mailtrace.secs"); s=$(cat "$work/spamassassin.secs")
printf 'mailtrace is %.0fx faster than SpamAssassin and %.1fx the grep floor\n' \
  "$(echo "$s / $m" | bc -l)" "$(echo "$m / ($g + 0.001)" | bc -l)"
