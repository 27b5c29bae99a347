#!/usr/bin/env bash
# specgate run's throughput and memory, side by side with wrk and oha against the same sandbox.
#
# Usage: bench/run.sh [SECONDS] [CONNECTIONS] [MILLION_REQUESTS] [ROUNDS] [LARGE]
#   SECONDS           each load generator's duration (default 6); specgate runs a plan of
#                     about as many requests
#   CONNECTIONS       wrk/oha -c and specgate --concurrency, a comma-separated list, each
#                     compared in rounds of its own (default 64,256)
#   MILLION_REQUESTS  requests of the memory run (default 1000000; 0 skips it)
#   ROUNDS            rounds (default 5); each tool runs once per round
#   LARGE             1 (default) ends with bench/large.sh on its default documents when
#                     they are present (import, plan and a run of a large OpenAPI document,
#                     with time and peak RSS); 0 skips it
#
# Environment: SPECGATE (default: a fresh release build) the binary to measure.
#
# Release build; the sandbox runs in its own process on loopback, so the load generators and
# specgate face exactly the same server. wrk (installed with apt-get if missing) and oha (if
# installed: `cargo install oha --locked`) send one fixed, pre-serialised valid body and parse
# nothing; specgate generates every payload (coverage plan, then seeded random ones), sends
# it, and validates every response (status, content type, JSON Schema).
#
# The machine is a shared 2-core VM whose speed drifts by 10-20% from minute to minute, so the
# tools take turns round by round (specgate first in even rounds, last in odd ones), each
# round's ratio compares runs at most a minute apart, and the median of those ratios is the
# figure quoted. CPU time per request (user + system, from /proc) is printed for specgate and for
# the sandbox, because it drifts less than requests/s. The peak RSS of a 1,000,000-request
# run shows that findings and statistics stream.
#
# Each round also runs specgate against a multi-operation API with parameters
# (tests/data/orders: a POST with a header parameter, a GET with query parameters, a GET and a
# DELETE with path parameters, one of them linked to the POST's answer) served by a second
# sandbox, and compares its CPU per request with the single-operation run of the same round.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-6}"
connection_counts="${2:-64,256}"
million="${3:-1000000}"
rounds="${4:-5}"
large="${5:-1}"
key="specgate-sandbox-key"

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
cargo build --release --quiet
# SPECGATE: another build to measure (a copy of an earlier one, for a before/after).
bin="${SPECGATE:-target/release/specgate}"
work="$(mktemp -d)"
server=""
multi_server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null
    [[ -n "$multi_server" ]] && kill "$multi_server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" sandbox --addr 127.0.0.1:0 --api-key "$key" >"$work/sandbox.out" 2>&1 &
server=$!
for _ in $(seq 100); do [[ -s "$work/sandbox.out" ]] && break; sleep 0.1; done
base_url="$(head -n1 "$work/sandbox.out" | awk '{print $NF}')"
echo "sandbox: $base_url (pid $server)"

multi_cases=tests/data/orders
"$bin" sandbox --cases "$multi_cases" --addr 127.0.0.1:0 --api-key "$key" >"$work/multi.out" 2>&1 &
multi_server=$!
for _ in $(seq 100); do [[ -s "$work/multi.out" ]] && break; sleep 0.1; done
multi_url="$(head -n1 "$work/multi.out" | awk '{print $NF}')"
echo "multi-operation sandbox: $multi_url (pid $multi_server)"

body='{"lastName":"Doe","dob":"2023-11-07T05:31:56Z","firstName":"Jane","address1":"1 Main St","countryCode":"AF","city":"Kabul","state":"Kabul","phoneNumber":"+93700000000","lastName2":"Roe","gender":"Male","email":"jane@example.com","middleName":"Q","address2":"Apt 2","address3":"Floor 3","streetNumber":"1","zipCode":"1001","birthState":"Kabul","lang":"en","placeDetail":"near the park","latitude":123,"longitude":123,"callLocationLatitude":123,"callLocationLongitude":123,"paymentMethodType":"BankAccount"}'
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api_key"] = "$key"
wrk.body = '$body'
LUA

# CPU seconds (user + system) the sandbox has used so far.
sandbox_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$server/stat"; }

run_wrk() {
    wrk -t"$1" -c"$connections" -d"${duration}s" -s "$work/post.lua" \
        "$base_url/auth/sessionlink-v2" | awk '/Requests\/sec/ {print $2}'
}

run_oha() {
    oha -z "${duration}s" -c "$connections" -m POST -H "api_key: $key" \
        -H "content-type: application/json" -d "$body" --no-tui \
        "$base_url/auth/sessionlink-v2" | awk '/Requests\/sec/ {print $2}'
}

# About as many requests as the load generators send in the same time, at specgate's pace.
examples=$(( duration * 20000 ))
run_specgate() {
    local before after
    before="$(sandbox_cpu)"
    SPECGATE_API_KEY="$key" /usr/bin/time -f "%U %S" -o "$work/time" "$bin" run \
        --base-url "$base_url" --concurrency "$connections" --examples "$examples" \
        --drift off --report "json=$work/run.json" >"$work/run.out" 2>&1 || {
        cat "$work/run.out"; exit 1; }
    after="$(sandbox_cpu)"
    python3 - "$work/run.json" "$work/time" "$before" "$after" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
n = summary["requests"]
sandbox = float(sys.argv[4]) - float(sys.argv[3])
print(round(summary["requests_per_s"]), n, round((user + system) * 1e6 / n, 1),
      round(sandbox * 1e6 / n, 1))
PY
}

# The multi-operation run: as many requests as the single one, spread over the operations.
run_multi() {
    local operations
    operations=$(ls "$multi_cases"/*.toml | wc -l)
    ORDERS_TOKEN="$key" /usr/bin/time -f "%U %S" -o "$work/multi-time" "$bin" run \
        --cases "$multi_cases" --base-url "$multi_url" --concurrency "$connections" \
        --examples $(( examples / operations )) --drift off \
        --report "json=$work/multi.json" >"$work/multi-run.out" 2>&1 || {
        cat "$work/multi-run.out"; exit 1; }
    python3 - "$work/multi.json" "$work/multi-time" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
n = summary["requests"]
print(round(summary["requests_per_s"]), n, round((user + system) * 1e6 / n, 1))
PY
}

have_oha=false
command -v oha >/dev/null && have_oha=true

# One round: each tool once; even rounds run specgate first, so neither side always gets
# the machine's later (or earlier) minutes.
load_generators() {
    local round=$1 threads rps
    for threads in 1 2; do
        rps="$(run_wrk "$threads")"
        echo "round $round: wrk -t$threads -c$connections -d${duration}s: $rps requests/s" >&2
        echo "$round wrk-t$threads $rps"
    done
    if $have_oha; then
        rps="$(run_oha)"
        echo "round $round: oha -c$connections -z${duration}s: $rps requests/s" >&2
        echo "$round oha $rps"
    fi
}
specgate_round() {
    local round=$1 rps requests client sandbox
    read -r rps requests client sandbox <<<"$(run_specgate)"
    echo "round $round: specgate run --concurrency $connections: $requests requests," \
        "$rps requests/s, CPU per request: specgate $client µs, sandbox $sandbox µs" >&2
    echo "$round specgate $rps"
    echo "$round cpu-single $client"
    read -r rps requests client <<<"$(run_multi)"
    echo "round $round: specgate run, 4 operations with parameters: $requests requests," \
        "$rps requests/s, CPU per request: specgate $client µs" >&2
    echo "$round cpu-multi $client"
}
$have_oha || echo "oha not installed (cargo install oha --locked): skipped"
IFS=, read -r -a connection_list <<<"$connection_counts"
for connections in "${connection_list[@]}"; do
    : >"$work/results"
    for round in $(seq "$rounds"); do
        if (( round % 2 )); then
            load_generators "$round" >>"$work/results"
            specgate_round "$round" >>"$work/results"
        else
            specgate_round "$round" >>"$work/results"
            load_generators "$round" >>"$work/results"
        fi
    done 2>&1

    python3 - "$work/results" "$connections" <<'PY'
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    round_, tool, rps = line.split()
    rounds.setdefault(round_, {})[tool] = float(rps)
def median(tool):
    return statistics.median(r[tool] for r in rounds.values())
print(f"medians of {len(rounds)} rounds at {sys.argv[2]} connections:")
for tool in ["wrk-t1", "wrk-t2", "oha", "specgate"]:
    if all(tool in r for r in rounds.values()):
        print(f"  {tool}: {median(tool):,.0f} requests/s")
# Each round's ratio compares runs minutes apart at most; its median is the figure we quote.
def ratio(against):
    per_round = [r["specgate"] / against(r) for r in rounds.values()]
    shown = ", ".join(f"{100 * x:.0f}%" for x in per_round)
    return f"median {100 * statistics.median(per_round):.0f}% (rounds: {shown})"
print("specgate / wrk at its better thread count:",
      ratio(lambda r: max(r["wrk-t1"], r["wrk-t2"])))
if all("oha" in r for r in rounds.values()):
    print("specgate / oha:", ratio(lambda r: r["oha"]))
per_round = [r["cpu-multi"] / r["cpu-single"] for r in rounds.values()]
shown = ", ".join(f"{100 * x:.0f}%" for x in per_round)
print(f"CPU per request, 4 operations with parameters / 1 operation: "
      f"median {100 * statistics.median(per_round):.0f}% (rounds: {shown})")
PY
done

if [[ "$million" -gt 0 ]]; then
    SPECGATE_API_KEY="$key" /usr/bin/time -f "%M" -o "$work/rss" "$bin" run --base-url "$base_url" \
        --concurrency "${connection_list[0]}" --examples $(( million / 2 )) --drift off \
        --report "json=$work/million.json" >/dev/null 2>&1
    read -r requests rps <<<"$(python3 -c "import json;s=json.load(open('$work/million.json'))['summary'];print(s['requests'], round(s['requests_per_s']))")"
    echo "memory run: $requests requests at $rps requests/s, peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
fi

if [[ "$large" == 1 ]]; then
    cleanup
    server=""
    multi_server=""
    bash bench/large.sh || echo "bench/large.sh: skipped (see its usage for the documents)"
fi
