#!/usr/bin/env bash
# tools/deps.sh - install the Debian 12 packages ringside needs to build,
# test and run. Idempotent and quiet when everything is present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang llvm lld libclang-rt-14-dev
      libdpdk-dev dpdk liburing-dev libssl-dev libbpf-dev libxdp-dev xdp-tools
      libcriterion-dev libpcap-dev libzstd-dev zstd librdkafka-dev libyaml-dev
      iproute2 tcpdump python3 linux-perf)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "ringside: installing Debian packages: ${missing[*]}" >&2
SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
