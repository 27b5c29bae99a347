#!/usr/bin/env bash
# specgate run's throughput and memory, side by side with wrk against the same sandbox.
#
# Usage: bench/run.sh [SECONDS] [CONNECTIONS] [MILLION_REQUESTS]
#   SECONDS           wrk's duration (default 10); specgate runs a plan of about as many requests
#   CONNECTIONS       wrk -c and specgate --concurrency (default 64)
#   MILLION_REQUESTS  requests of the memory run (default 1000000; 0 skips it)
#
# Release build; the sandbox runs in its own process on loopback, so the load generator and
# specgate face exactly the same server. wrk (installed with apt-get if missing) sends one fixed,
# pre-serialised valid body and parses nothing; specgate generates every payload (coverage plan,
# then seeded random ones), sends it, and validates every response (status, content type, JSON
# Schema). The peak RSS of a 1,000,000-request run shows that findings and statistics stream.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
million="${3:-1000000}"
key="specgate-sandbox-key"

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
cargo build --release --quiet
bin=target/release/specgate
work="$(mktemp -d)"
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" sandbox --addr 127.0.0.1:0 --api-key "$key" >"$work/sandbox.out" 2>&1 &
server=$!
for _ in $(seq 100); do [[ -s "$work/sandbox.out" ]] && break; sleep 0.1; done
base_url="$(head -n1 "$work/sandbox.out" | awk '{print $NF}')"
echo "sandbox: $base_url (pid $server)"

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api_key"] = "$key"
wrk.body = '{"lastName":"Doe","dob":"2023-11-07T05:31:56Z","firstName":"Jane","address1":"1 Main St","countryCode":"AF","city":"Kabul","state":"Kabul","phoneNumber":"+93700000000","lastName2":"Roe","gender":"Male","email":"jane@example.com","middleName":"Q","address2":"Apt 2","address3":"Floor 3","streetNumber":"1","zipCode":"1001","birthState":"Kabul","lang":"en","placeDetail":"near the park","latitude":123,"longitude":123,"callLocationLatitude":123,"callLocationLongitude":123,"paymentMethodType":"BankAccount"}'
LUA

# wrk's best of one and two threads, so the comparison is against wrk at its fastest.
best_wrk=0
for threads in 1 2; do
    rps="$(wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/post.lua" \
        "$base_url/auth/sessionlink-v2" | awk '/Requests\/sec/ {print $2}')"
    echo "wrk -t$threads -c$connections -d${duration}s: $rps requests/s"
    best_wrk="$(awk -v a="$best_wrk" -v b="$rps" 'BEGIN {print (b > a) ? b : a}')"
done

# oha (Rust, tokio + hyper, like specgate) if installed: `cargo install oha --locked`.
best_oha=0
if command -v oha >/dev/null; then
    body="$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/post.lua")"
    best_oha="$(oha -z "${duration}s" -c "$connections" -m POST -H "api_key: $key" \
        -H "content-type: application/json" -d "$body" --no-tui "$base_url/auth/sessionlink-v2" \
        | awk '/Requests\/sec/ {print $2}')"
    echo "oha -c$connections -z${duration}s: $best_oha requests/s"
else
    echo "oha not installed (cargo install oha --locked): skipped"
fi

# About as many requests as wrk sent in the same time, at specgate's own pace (~38k/s).
examples=$(( duration * 19000 ))
SPECGATE_API_KEY="$key" "$bin" run --base-url "$base_url" --concurrency "$connections" \
    --examples "$examples" --drift off --report "json=$work/run.json" >"$work/run.out" 2>&1 || {
    cat "$work/run.out"; exit 1; }
read -r requests rps <<<"$(python3 -c "import json;s=json.load(open('$work/run.json'))['summary'];print(s['requests'], round(s['requests_per_s']))")"
echo "specgate run --concurrency $connections: $requests requests, $rps requests/s, every response validated"
echo "specgate / wrk: $(awk -v a="$rps" -v b="$best_wrk" 'BEGIN {printf "%.0f%%", 100 * a / b}')"
if [[ "$best_oha" != 0 ]]; then
    echo "specgate / oha: $(awk -v a="$rps" -v b="$best_oha" 'BEGIN {printf "%.0f%%", 100 * a / b}')"
fi

if [[ "$million" -gt 0 ]]; then
    SPECGATE_API_KEY="$key" /usr/bin/time -f "%M" -o "$work/rss" "$bin" run --base-url "$base_url" \
        --concurrency "$connections" --examples $(( million / 2 )) --drift off \
        --report "json=$work/million.json" >/dev/null 2>&1
    read -r requests rps <<<"$(python3 -c "import json;s=json.load(open('$work/million.json'))['summary'];print(s['requests'], round(s['requests_per_s']))")"
    echo "memory run: $requests requests at $rps requests/s, peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
fi
