#!/usr/bin/env bash
# perf/e2e.sh (run as `perf/run.sh e2e [DRIVERS...]`, root): ringsided end to
# end through a veth pair, per driver (default: uring xdp dpdk).
#   1. highest sustained message rate with zero loss: the replayer (pinned to
#      CPU 0, in a network namespace) sends a generated session on one line at
#      increasing paced rates; ringsided (inline mode, CPU 1) must deliver every
#      message with no gap and no driver drop. A step counts at the rate the
#      replayer reached (messages / its elapsed time); once it reaches less
#      than 90 % of the rate asked the result is marked sender-bound;
#   2. latency at 1 M messages/s paced: rx -> shared-memory publication per
#      event (TSC at the rx burst -> after the BBO/MBP tables and the event ring
#      were written) and wire -> publication (the packet's rx timestamp: for
#      io_uring the kernel's, so time spent queued in the socket before the
#      daemon looked counts too - the coordinated-omission-free figure; AF_XDP
#      and DPDK stamp in user space at the burst). p50, p99, p99.9, max.
# Prints readable lines, then one JSON object per result (perf/rs_bench.h).
# RS_E2E_BATCH sets the messages per packet (default 8); RS_E2E_PACES the
# latency runs (default "even bursts shield"); RS_E2E_NICE the replayer's
# nice value in the latency runs (default 19; the rate steps run it at 0).
# At 19 because it spins to pace, and at nice 0 it starves ksoftirqd/0,
# which does the veth's receive work the sender defers, so datagrams wait
# milliseconds in the backlog (a real feed comes from another host and
# costs this one nothing).
# Everything it creates (netns, veth, segments, huge pages for DPDK) is removed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${RS_BIN:-$here/../bin}
[[ -x $bin/ringsided ]] || { echo "bench-e2e: $bin/ringsided missing" >&2; exit 69; }
[[ $(id -u) == 0 ]] || { echo "bench-e2e: needs root (netns, veth, XDP)" >&2; exit 77; }
drivers=("$@"); [[ ${#drivers[@]} -gt 0 ]] || drivers=(uring xdp dpdk)
rates=(${RS_E2E_RATES:-250000 500000 1000000 1500000 2000000 3000000})
secs=${RS_E2E_SECONDS:-3}
p=$$; ns=rsbe$p; va=rsbe${p}a; vb=rsbe${p}b; tmp=/tmp/rs-bench-e2e-$p
huge_added=0
shield=""
cs=/sys/fs/cgroup/cpuset
# shield_on: every task but ringsided's into a cpuset holding CPU 0 only, so
# nothing but ringsided's pinned dataplane thread and per-CPU kernel threads
# runs on CPU 1: what isolcpus/nohz_full or `cset shield` give a production
# host (SPEC 7). cgroup v1 cpuset; each moved task's affinity is saved and
# shield_off puts the tasks back and restores it (also from the EXIT trap).
shield_on() { # daemon-pid
	[[ -w $cs/tasks ]] || { echo "bench-e2e: no cgroup v1 cpuset at $cs: not shielded" >&2; return 1; }
	shield=$cs/rsbe$p
	mkdir "$shield" && cat "$cs/cpuset.mems" >"$shield/cpuset.mems" && echo 0 >"$shield/cpuset.cpus" ||
		{ echo "bench-e2e: cannot create cpuset $shield" >&2; rmdir "$shield" 2>/dev/null; shield=""; return 1; }
	local keep=" $(ls "/proc/$1/task" | tr '\n' ' ') " t a
	: >"$tmp/affinity"
	for t in $(cat "$cs/tasks"); do
		[[ $keep == *" $t "* ]] && continue
		a=$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$t/status" 2>/dev/null) || continue
		echo "$t" >"$shield/tasks" 2>/dev/null && echo "$t $a" >>"$tmp/affinity"
	done
	return 0
}
shield_off() {
	[[ -n $shield && -d $shield ]] || return 0
	local t a
	for t in $(cat "$shield/tasks" 2>/dev/null); do echo "$t" >"$cs/tasks" 2>/dev/null; done
	while read -r t a; do
		[[ $a == "$(cat "$cs/cpuset.effective_cpus")" ]] || taskset -pc "$a" "$t" >/dev/null 2>&1
	done <"$tmp/affinity"
	rmdir "$shield" 2>/dev/null || echo "bench-e2e: cpuset $shield still holds tasks" >&2
	shield=""
}
# a shield left by a run killed with -9: its tasks back to the root cpuset
for old in "$cs"/rsbe*/; do
	[[ -d $old ]] || continue
	for t in $(cat "$old/tasks" 2>/dev/null); do echo "$t" >"$cs/tasks" 2>/dev/null; done
	rmdir "$old" 2>/dev/null && echo "bench-e2e: removed a stale cpuset $old" >&2
done
cleanup() {
	shield_off
	[[ -n ${dpid:-} ]] && kill -9 "$dpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null; ip link del "$va" 2>/dev/null
	if ((huge_added)); then
		echo $(( $(cat /proc/sys/vm/nr_hugepages) - huge_added )) >/proc/sys/vm/nr_hugepages
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$tmp"/{shm,huge,run}
export RINGSIDE_SHM_DIR=$tmp/shm RINGSIDE_HUGE_DIR=$tmp/huge RINGSIDE_RUN_DIR=$tmp/run
ip netns add "$ns" && ip link add "$va" type veth peer name "$vb" && ip link set "$vb" netns "$ns" &&
	ip addr add 10.79.1.1/24 dev "$va" && ip link set "$va" up &&
	ip -n "$ns" addr add 10.79.1.2/24 dev "$vb" && ip -n "$ns" link set "$vb" up || exit 1
sysctl -qw net.core.rmem_max=33554432

ctl() { # ctl COMMAND -> JSON on stdout
	python3 - "$tmp/run/ctl.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5); s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode()); out = b""
while True:
    b = s.recv(65536)
    if not b: break
    out += b
print(out.decode().split(" ", 1)[1].strip())
EOF
}
counter() { "$bin/ringside" counters --instance rsbe 2>/dev/null | awk -v l="$1" '$2 == l {print $3}'; }

start_daemon() { # driver
	local extra=""
	case $1 in
	xdp) extra="        xdp_mode: skb" ;;
	dpdk) extra="        dpdk_vdev: net_af_packet0,iface=$va,framecnt=4096" ;;
	esac
	cat >"$tmp/d.yaml" <<EOF
instance: rsbe
shm:
  huge_pages: off
capacities:
  orders: 2M
  levels: 512k
  instruments: 4096
  depth: 10
  event_ring: 1M
cores:
  mode: inline
  rx: [1]
  handlers: [1]
  control: 0
feeds:
  - name: bench
    protocol: itch-moldudp64
    lines:
      - name: A
        driver: $1
        interface: $va
        bind: 10.79.1.1
        port: 26400
$extra
    recovery:
      server: ""
analytics:
  enabled: false
control:
  socket: $tmp/run/ctl.sock
  http: ""
EOF
	"$bin/ringsided" -c "$tmp/d.yaml" -q >"$tmp/d.log" 2>&1 &
	dpid=$!
	for _ in $(seq 300); do "$bin/ringside" counters --instance rsbe >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "bench-e2e: ringsided did not come up:" >&2; tail -5 "$tmp/d.log" >&2; return 1
}
stop_daemon() { kill -TERM "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; dpid=; }

replay() { # rate messages seed [pace [nice]]
	ip netns exec "$ns" taskset -c 0 nice -n "${5:-0}" "$bin/ringside" replay --format gen --gen-messages "$2" \
		--gen-symbols 1000 --gen-seed "$3" --session "BENCH$3" --dest 10.79.1.1:26400 \
		--rate "$1" --pace "${4:-bursts}" --batch "${RS_E2E_BATCH:-8}" --linger 0 \
		--stats-json >"$tmp/replay.json"
}

wait_delivered() { # want -> delivered
	local d=0 last=-1
	for _ in $(seq 100); do
		d=$(counter 'rs_feed_messages_total{feed="bench"}'); d=${d:-0}
		[[ $d -ge $1 || $d == "$last" ]] && break
		last=$d; sleep 0.2
	done
	echo "$d"
}

json() { printf '{"bench":"e2e","metric":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" >>"$tmp/results"; }

for drv in "${drivers[@]}"; do
	if [[ $drv == dpdk ]]; then
		before=$(cat /proc/sys/vm/nr_hugepages); echo $((before + 256)) >/proc/sys/vm/nr_hugepages
		huge_added=$(( $(cat /proc/sys/vm/nr_hugepages) - before ))
		export RINGSIDE_DPDK_EAL="-m 256"
	fi
	best=0; seed=1
	for r in "${rates[@]}"; do
		n=$((r * secs))
		start_daemon "$drv" || continue 2
		replay "$r" "$n" $((seed++)) || echo "bench-e2e: replay failed" >&2
		got=$(wait_delivered "$n")
		gaps=$(counter 'rs_feed_gaps_total{feed="bench"}')
		drops=$(counter 'rs_line_drops_total{feed="bench",line="A"}')
		[[ -n ${RS_E2E_DEBUG:-} ]] && "$bin/ringside" counters --instance rsbe | grep -v ' 0$' >&2
		stop_daemon
		# the rate the replayer reached (it is bound by its own core at a
		# few M msg/s): a step counts at that rate, not the one asked for
		sent=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(d["messages"]/d["elapsed_s"]))' "$tmp/replay.json" 2>/dev/null)
		sent=${sent:-0}
		ok=no; [[ $got == "$n" && ${gaps:-0} == 0 && ${drops:-0} == 0 ]] && ok=yes
		printf '%-6s %8s msg/s asked, %8s sent: %9s of %9s delivered, %s gaps, %s driver drops -> %s\n' \
			"$drv" "$r" "$sent" "$got" "$n" "${gaps:-?}" "${drops:-?}" \
			"$([[ $ok == yes ]] && echo 'zero loss' || echo LOSS)"
		if [[ $ok == no ]]; then break; fi
		((sent > best)) && best=$sent
		if ((sent * 10 < r * 9)); then
			echo "$drv: the replayer reached $sent of $r msg/s: sender-bound, higher steps skipped"
			sender_bound=1; break
		fi
	done
	json "${drv}_max_zero_loss_rate" "$best" "msg/s"
	json "${drv}_max_zero_loss_rate_sender_bound" "${sender_bound:-0}" "bool"; sender_bound=0
	# latency at 1 M msg/s: paced evenly (every packet at its own time, the
	# replayer spinning on its core), in the replayer's default bursts (up
	# to 32 packets per sendmmsg: the queueing a burst causes is part of
	# the figure), and paced evenly with CPU 1 shielded (shield_on)
	for pace in ${RS_E2E_PACES:-even bursts shield}; do
	n=$((1000000 * ${RS_E2E_LAT_SECONDS:-5}))
	start_daemon "$drv" || continue 2
	if [[ $pace == shield ]]; then
		shield_on "$dpid" || { stop_daemon; continue; }
		replay 1000000 "$n" 99 even "${RS_E2E_NICE:-19}"
		shield_off
	else
		replay 1000000 "$n" 99 "$pace" "${RS_E2E_NICE:-19}"
	fi
	late=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("late_packets",0), round(d.get("late_max_s",0)*1e6,1))' "$tmp/replay.json" 2>/dev/null)
	got=$(wait_delivered "$n")
	st=$(ctl status)
	stop_daemon
	read -r a50 a99 a999 amax w50 w99 w999 wmax cnt < <(python3 -c '
import json,sys; d=json.loads(sys.argv[1]); l=d["latency_ns"]; w=d["wire_latency_ns"]
print(l["p50"],l["p99"],l["p999"],l["max"],w["p50"],w["p99"],w["p999"],w["max"],l["count"])' "$st")
	printf '%-6s 1M msg/s %-6s %s of %s delivered, %s events: rx->shm p50 %s p99 %s p99.9 %s max %s ns; wire->shm p50 %s p99 %s p99.9 %s max %s ns (sender late >10us: %s packets, max us)\n' \
		"$drv" "$pace," "$got" "$n" "$cnt" "$a50" "$a99" "$a999" "$amax" "$w50" "$w99" "$w999" "$wmax" "${late:-?}"
	sfx=_$pace; [[ $pace == bursts ]] && sfx=""
	json "${drv}_1M${sfx}_delivered" "$got" "messages"
	for k in p50:$a50 p99:$a99 p999:$a999 max:$amax; do json "${drv}_1M${sfx}_rx_to_shm_${k%%:*}" "${k#*:}" "ns"; done
	for k in p50:$w50 p99:$w99 p999:$w999 max:$wmax; do json "${drv}_1M${sfx}_wire_to_shm_${k%%:*}" "${k#*:}" "ns"; done
	done
	if [[ $drv == dpdk ]] && ((huge_added)); then
		echo $(( $(cat /proc/sys/vm/nr_hugepages) - huge_added )) >/proc/sys/vm/nr_hugepages; huge_added=0
	fi
done
cat "$tmp/results" 2>/dev/null
