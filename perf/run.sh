#!/usr/bin/env bash
# perf/run.sh NAME [ARGS...] - build (if needed) and run a named benchmark.
# Benchmarks print readable lines, then one JSON object per result:
#   {"bench":"...","metric":"...","value":N,"unit":"..."}
# Builds in build-perf/ (Release, -march=native). `perf/run.sh --list` lists them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${RS_PERF_BUILD:-$root/build-perf}

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	echo "usage: perf/run.sh NAME [ARGS...] | --list"
	echo "benchmarks:"; ls "$here"/*.cmake 2>/dev/null | xargs -n1 basename | sed 's/\.cmake$//; s/^/  /'
	exit 0
fi
if [[ $1 == --list ]]; then
	ls "$here"/*.cmake | xargs -n1 basename | sed 's/\.cmake$//'; exit 0
fi
name=$1; shift
"$root/tools/deps.sh"
if [[ ! -f $build/CMakeCache.txt ]]; then
	CC=${CC:-clang} cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRS_FUZZ=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target "bench-$name" >/dev/null
exec "$build/perf/bench-$name" "$@"
