#!/bin/sh
# install.sh - install ringside from a build tree onto this machine.
#
#   deploy/install.sh [--build DIR] [--prefix /usr] [--hugepages N] [--dry-run]
#
# Installs ringsided, ringside and libringside (cmake --install), the
# systemd unit ringsided@.service, the example configurations into
# /etc/ringside/examples (and /etc/ringside/demo.yaml if absent), creates
# the system group and user "ringside" (members of the group may read the
# shared-memory segments and use the control socket), and reserves 2 MiB
# huge pages persistently through /etc/sysctl.d/60-ringside.conf.
# Idempotent: run it again after an upgrade.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build="$src/build"
prefix=/usr
pages=1024          # 2 GiB of 2 MiB pages; size with capacities.* of your configs
dry=

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--hugepages) pages=$2; shift 2 ;;
	--dry-run) dry=echo; shift ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option $1" >&2; exit 64 ;;
	esac
done

if [ -z "$dry" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (or with --dry-run)" >&2
	exit 77
fi
[ -x "$build/bin/ringside" ] || { echo "install.sh: no build in $build (cmake --build first)" >&2; exit 66; }

# binaries, library, header
$dry cmake --install "$build" --prefix "$prefix"

# group and user
if ! getent group ringside >/dev/null; then
	$dry groupadd --system ringside
fi
if ! getent passwd ringside >/dev/null; then
	$dry useradd --system --gid ringside --home-dir /var/lib/ringside --no-create-home \
		--shell /usr/sbin/nologin ringside
fi

# configuration
$dry install -d -m 0750 -g ringside /etc/ringside /etc/ringside/examples
for f in "$here"/examples/*.yaml; do
	$dry install -m 0640 -g ringside "$f" /etc/ringside/examples/
done
if [ ! -e /etc/ringside/demo.yaml ]; then
	$dry install -m 0640 -g ringside "$here/examples/demo.yaml" /etc/ringside/demo.yaml
fi
$dry install -d -m 0750 -o ringside -g ringside /var/lib/ringside

# systemd unit
$dry install -m 0644 "$here/ringsided@.service" /etc/systemd/system/ringsided@.service
if command -v systemctl >/dev/null 2>&1; then
	$dry systemctl daemon-reload || true
fi

# huge pages: persistent reservation, applied now
conf=/etc/sysctl.d/60-ringside.conf
if [ -z "$dry" ]; then
	printf '# ringside: 2 MiB huge pages for the shared-memory segments\nvm.nr_hugepages = %s\n' "$pages" > "$conf"
	sysctl -q -p "$conf" || echo "install.sh: could not apply $conf now (applied at next boot)" >&2
	got=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	[ "$got" -ge "$pages" ] || echo "install.sh: only $got of $pages huge pages reserved (memory fragmented? reboot applies $conf)" >&2
else
	echo "write $conf: vm.nr_hugepages = $pages"
fi

echo "installed. Next:"
echo "  ringside config check /etc/ringside/demo.yaml"
echo "  systemctl enable --now ringsided@demo"
echo "  ringside status -i demo"
