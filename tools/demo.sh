#!/usr/bin/env bash
# tools/demo.sh - README command 1: install what is needed, build, and run
# the appliance's main job on its embedded default: ringsided --embedded, a
# replay of generated sessions on loopback lines A/B with a little loss, and
# the live view. No NIC, no root set-up by hand. Extra arguments go to
# `ringside demo` (see --help; --seconds N for a bounded run); Ctrl-C stops
# everything and removes the shared-memory segments it created.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/deps.sh"
export CC=${CC:-clang}
build=$root/build
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRS_WERROR=ON -DRS_STRICT=ON >/dev/null
if ! cmake --build "$build" -j"$(nproc)" --target ringside_cli ringsided >"$build/demo-build.log" 2>&1; then
	tail -40 "$build/demo-build.log"; echo "build failed (log: $build/demo-build.log)" >&2; exit 70
fi
# leftovers of a previous run that was killed hard
"$build/bin/ringside" segments clean --instance "${RINGSIDE_INSTANCE:-demo}" >/dev/null || true
exec "$build/bin/ringside" demo --instance "${RINGSIDE_INSTANCE:-demo}" "$@"
