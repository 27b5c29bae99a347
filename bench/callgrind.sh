#!/usr/bin/env bash
# Instructions per request, counted by callgrind: deterministic where bench/run.sh's CPU
# times drift with a shared machine's load. Three figures:
#   client, 1 operation   `specgate run` against a sandbox in its own process (the same
#                         single JSON-body operation bench/run.sh loads), for each binary given
#   client, 4 operations  the same against tests/data/orders (bench/run.sh's multi-operation
#                         run: a POST with a header, a GET with query parameters, a linked GET
#                         and DELETE), as many random examples spread over its operations
#   sandbox               the sandbox under callgrind, serving the first binary's 1-operation run
# Each is the difference of two runs, SMALL and LARGE examples, divided by the difference of
# their requests: start-up (compiling schemas, the coverage plan, links, probes) cancels out.
#
# Usage: bench/callgrind.sh [LARGE] [SMALL] [BINARY...]
#   LARGE, SMALL  random examples of the two runs (default 4000 and 1000)
#   BINARY        specgate binaries whose client to count (default: target/release/specgate,
#                 built); the sandbox always runs the first one's
# CONCURRENCY (default 64) is the client's --concurrency. valgrind is installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
large="${1:-4000}"
small="${2:-1000}"
shift $(( $# < 2 ? $# : 2 ))
bins=("$@")
if [[ ${#bins[@]} -eq 0 ]]; then
    cargo build --release --quiet
    bins=(target/release/specgate)
fi
concurrency="${CONCURRENCY:-64}"
key="specgate-sandbox-key"
command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
work="$(mktemp -d)"
cleanup() {
    for pid in "$work"/*.pid; do [[ -e "$pid" ]] && kill "$(cat "$pid")" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# Start a sandbox (native, or under callgrind when $3 names an output file); its URL goes to
# $work/NAME.url, its process id to $work/NAME.pid.
start_sandbox() {
    local name=$1 cases=$2 out=${3:-} prefix=()
    [[ -n "$out" ]] && prefix=(valgrind --tool=callgrind --callgrind-out-file="$out" --log-file="$work/$name.vg")
    local arguments=(sandbox --addr 127.0.0.1:0 --api-key "$key")
    [[ -n "$cases" ]] && arguments+=(--cases "$cases")
    "${prefix[@]}" "${bins[0]}" "${arguments[@]}" >"$work/$name.out" 2>&1 &
    echo $! >"$work/$name.pid"
    for _ in $(seq 600); do [[ -s "$work/$name.out" ]] && break; sleep 0.1; done
    head -n1 "$work/$name.out" | awk '{print $NF}' >"$work/$name.url"
}

# Instructions a callgrind output file counts.
instructions() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# Requests a run's JSON report counts.
requests() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['summary']['requests'])" "$1"; }

# One run of BINARY's client: "instructions requests" (instructions 0 when not under callgrind).
client_run() {
    local bin=$1 url=$2 examples=$3 cases=$4 counted=$5 out="$work/client.cg" prefix=()
    local arguments=(run --base-url "$url" --concurrency "$concurrency" --examples "$examples"
        --drift off --report "json=$work/report.json")
    [[ -n "$cases" ]] && arguments+=(--cases "$cases")
    $counted && prefix=(valgrind --tool=callgrind --callgrind-out-file="$out" --log-file="$work/client.vg")
    SPECGATE_API_KEY="$key" ORDERS_TOKEN="$key" "${prefix[@]}" "$bin" "${arguments[@]}" \
        >"$work/run.out" 2>&1 || { cat "$work/run.out" "$work/client.vg" 2>/dev/null; exit 1; }
    if $counted; then echo "$(instructions "$out") $(requests "$work/report.json")"
    else echo "0 $(requests "$work/report.json")"; fi
}

# Instructions per request between two runs: (i2 - i1) / (r2 - r1).
per_request() {
    python3 -c "import sys;i1,r1,i2,r2=map(int,sys.argv[1:]);print(f'{(i2-i1)/(r2-r1):,.0f} instructions/request ({r1} and {r2} requests)')" "$@"
}

start_sandbox single ''
start_sandbox multi tests/data/orders
single_url="$(cat "$work/single.url")"
multi_url="$(cat "$work/multi.url")"
operations=$(ls tests/data/orders/*.toml | wc -l)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for bin in "${bins[@]}"; do
    read -r i1 r1 <<<"$(client_run "$bin" "$single_url" "$small" '' true)"
    read -r i2 r2 <<<"$(client_run "$bin" "$single_url" "$large" '' true)"
    echo "client, 1 operation, $bin: $(per_request "$i1" "$r1" "$i2" "$r2")"
    read -r i1 r1 <<<"$(client_run "$bin" "$multi_url" $(( small / operations )) tests/data/orders true)"
    read -r i2 r2 <<<"$(client_run "$bin" "$multi_url" $(( large / operations )) tests/data/orders true)"
    echo "client, $operations operations, $bin: $(per_request "$i1" "$r1" "$i2" "$r2")"
done

# The sandbox: one process per run, stopped with SIGINT so callgrind writes its counts.
sandbox_count() {
    local examples=$1 name="counted-$1" url pid
    start_sandbox "$name" '' "$work/$name.cg"
    url="$(cat "$work/$name.url")"
    pid="$(cat "$work/$name.pid")"
    read -r _ requests <<<"$(client_run "${bins[0]}" "$url" "$examples" '' false)"
    kill -INT "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    rm "$work/$name.pid"
    echo "$(instructions "$work/$name.cg") $requests"
}
read -r i1 r1 <<<"$(sandbox_count "$small")"
read -r i2 r2 <<<"$(sandbox_count "$large")"
echo "sandbox, 1 operation: $(per_request "$i1" "$r1" "$i2" "$r2")"
