#!/usr/bin/env bash
# Throughput of the built-in sandbox for valid sessionlink-v2 payloads, so we know it is never
# the bottleneck of our own benchmarks (target: >= 30,000 requests/s at 32 connections).
#
# Usage: bench/sandbox.sh [SECONDS] [CONNECTIONS]
# Builds the release binary, starts `specgate sandbox` on a free loopback port, fires one
# valid body with the api_key header using wrk (installed with apt-get if missing), prints
# requests/s and stops the server.
#
# Measured on the 2-core build machine (release build, wrk -t2 -c32 -d10s): 88,206
# requests/s, 0 non-2xx responses (the README's figure). Early runs, with the cores shared
# with other engineers' compilers and before the sandbox's one-pass UTF-8 check, gave
# 34,635-51,054.
set -euo pipefail

cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-32}"
port="${SANDBOX_BENCH_PORT:-18080}"
key="specgate-sandbox-key"

if ! command -v wrk >/dev/null; then
    apt-get install -y wrk >/dev/null
fi

cargo build --release --quiet

workdir="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

target/release/specgate sandbox --addr "127.0.0.1:$port" --api-key "$key" >"$workdir/out" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    if [[ -s "$workdir/out" ]]; then break; fi
    sleep 0.1
done
base_url="$(head -n1 "$workdir/out" | awk '{print $NF}')"
echo "$(head -n1 "$workdir/out")"

# The reference page's example body: every field present, as the generator's all-fields case.
cat >"$workdir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api_key"] = "$key"
wrk.body = '{"lastName":"Doe","dob":"2023-11-07T05:31:56Z","firstName":"Jane","address1":"1 Main St","countryCode":"AF","city":"Kabul","state":"Kabul","phoneNumber":"+93700000000","lastName2":"Roe","gender":"Male","email":"jane@example.com","middleName":"Q","address2":"Apt 2","address3":"Floor 3","streetNumber":"1","zipCode":"1001","birthState":"Kabul","lang":"en","placeDetail":"near the park","latitude":123,"longitude":123,"callLocationLatitude":123,"callLocationLongitude":123,"paymentMethodType":"BankAccount"}'
done = function(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format("non-2xx responses: %d\n", non2xx))
end
LUA

# Sanity check: the body is valid, so the answer is 200.
status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base_url/auth/sessionlink-v2" \
    -H "api_key: $key" -H 'Content-Type: application/json' \
    --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$workdir/post.lua")")"
echo "sanity check: HTTP $status"
[[ "$status" == 200 ]]

wrk -t2 -c"$connections" -d"${duration}s" -s "$workdir/post.lua" "$base_url/auth/sessionlink-v2"
