#!/bin/sh
# run-fuzz.sh BINARY WORKDIR SECONDS [SEED_DIR...]
# Runs a libFuzzer target for a bounded time: the seed corpora are copied to
# a fresh working corpus (seeds are never modified), failures leave their
# crash file in WORKDIR and fail the test.
set -eu
bin=$1; work=$2; secs=$3; shift 3
rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
for d in "$@"; do
	[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp {} "$work/corpus/" \; || true
done
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus"
