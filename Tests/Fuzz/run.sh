#!/usr/bin/env bash
# Runs each fuzz target for FUZZ_SECONDS (default 60) under libFuzzer and the address sanitizer, two at a time,
# starting from the committed corpus (Tests/Fuzz/corpus/TARGET) grown in fuzz-out/corpus/TARGET. Crash, leak,
# timeout and out-of-memory inputs land in fuzz-out/findings/TARGET; minimise one with
#   .build-fuzz/debug/leadsync-fuzz TARGET -minimize_crash=1 -runs=10000 INPUT
# and commit it under Tests/Fuzz/crashes/TARGET-NAME, where the tests replay it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"csv xml mapping rules phone email company number"}
bin=.build-fuzz/debug/leadsync-fuzz
mkdir -p fuzz-out
run() {
    local target=$1
    mkdir -p "fuzz-out/corpus/$target" "fuzz-out/findings/$target"
    # symbolize=0: symbolising a crash can hang; the input and a raw stack are enough to reproduce it.
    ASAN_OPTIONS=symbolize=0:detect_leaks=0 timeout -s KILL $((seconds + 60)) "$bin" "$target" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="fuzz-out/findings/$target/" "fuzz-out/corpus/$target" "Tests/Fuzz/corpus/$target" \
        > "fuzz-out/$target.log" 2>&1 || true
    local runs; runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz-out/$target.log" | grep -o '[0-9]*$' || echo "?")
    local found; found=$(ls "fuzz-out/findings/$target" | wc -l)
    echo "$target: ${seconds}s, $runs executions, $found finding(s)"
}
set -- $targets
while [ $# -gt 0 ]; do
    run "$1" & first=$!
    if [ $# -gt 1 ]; then run "$2" & second=$!; wait $second; shift; fi
    wait $first; shift
done
