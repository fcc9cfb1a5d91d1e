#!/usr/bin/env bash
# tools/test.sh - README command 2: install what is needed, build, and run
# the whole test suite:
#   1. build/       clang, RelWithDebInfo, warnings as errors: every ctest
#                   (unit, integration, realdata, slow, fuzz)
#   2. build-asan/  ASan+UBSan: unit, integration and realdata tests again
#   3. build-tsan/  TSan: the ring and broadcast tests (label tsan)
# Options: --quick (step 1 only), -j N.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0; jobs=$(nproc)
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	-j) jobs=$2; shift ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "tools/test.sh: unknown option $1" >&2; exit 64 ;;
	esac
	shift
done

"$root/tools/deps.sh"
export CC=${CC:-clang}
status=0

run_suite() { # dir label-args...
	local dir=$1; shift
	cmake -S "$root" -B "$root/$dir" "${cfg[@]}" >/dev/null
	if ! cmake --build "$root/$dir" -j"$jobs" >"$root/$dir/build.log" 2>&1; then
		grep -Ev '^\[ *[0-9]+%\]' "$root/$dir/build.log" | tail -60
		echo "BUILD FAILED in $dir (full log: $dir/build.log)"
		return 1
	fi
	(cd "$root/$dir" && ctest --output-on-failure -j"$jobs" "$@")
}

echo "== build/: all tests"
cfg=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRS_WERROR=ON -DRS_STRICT=ON)
run_suite build || status=1

if ((!quick)); then
	echo "== build-asan/: ASan+UBSan"
	cfg=(-DCMAKE_BUILD_TYPE=Debug -DRS_STRICT=ON -DRS_SANITIZE=address -DRS_FUZZ=OFF -DRS_DEBUG_INVARIANTS=ON)
	run_suite build-asan -L 'unit|integration|realdata' -LE 'slow|nosan' || status=1
	echo "== build-tsan/: TSan"
	cfg=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRS_STRICT=ON -DRS_SANITIZE=thread -DRS_FUZZ=OFF)
	run_suite build-tsan -L tsan || status=1
fi

if ((status)); then echo "ringside tests: FAILED"; else echo "ringside tests: all passed"; fi
exit $status
