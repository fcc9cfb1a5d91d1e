/*
 * rs_config.h - the appliance configuration (one YAML file, libyaml).
 *
 * COLD: parsed and validated at start-up (and on SIGHUP for the keys
 * marked "reloadable"); the dataplane only ever sees the resulting plain
 * structs. Everything is fixed-size so a config can be copied and
 * compared with memcpy/memcmp; no pointers into the YAML document.
 *
 * Schema (every key; unknown keys are errors, with a suggestion for a
 * misspelt one). Sizes accept k/M/G suffixes, durations ns/us/ms/s/m/h.
 *
 *   instance: demo                      # [a-zA-Z0-9_-]{1,31}
 *   shm:
 *     group: ringside                   # group name or gid; default: unchanged
 *     mode: "0640"
 *     huge_pages: auto                  # auto | on | off
 *   capacities:
 *     instruments: 16384
 *     orders: 4M
 *     levels: 1M
 *     depth: 50                         # MBP-N levels published per side
 *     event_ring: 1M                    # slots of the events broadcast ring
 *     handler_ring: 64k                 # slots of each rx -> handler SPSC ring
 *     analytics_ring: 64k
 *   cores:
 *     mode: inline                      # inline (rx+handler on one core) | pipeline
 *     rx: [1]                           # CPU per rx thread (one per feed in pipeline mode)
 *     handlers: [1]                     # CPU per handler thread
 *     control: 0                        # CPU of control-plane threads (-1: any)
 *   feeds:                              # 1..RS_CFG_MAX_FEEDS
 *     - name: nasdaq
 *       protocol: itch-moldudp64        # itch-moldudp64 (only one today)
 *       session: ""                     # expected MoldUDP64 session ("" = learn)
 *       lines:                          # 1 or 2 (A then B)
 *         - name: A
 *           driver: uring               # uring | xdp | dpdk | pcap
 *           interface: lo
 *           group: 239.192.1.1          # multicast group; omit for unicast
 *           port: 26400
 *           source: ""                  # SSM source, optional
 *           bind: 0.0.0.0               # local address for unicast
 *           dpdk_vdev: ""               # e.g. net_af_packet0,iface=veth0 (driver dpdk)
 *           xdp_mode: skb               # skb | native (driver xdp)
 *           queue: 0                    # rx queue (drivers xdp, dpdk)
 *           pcap_file: ""               # capture to replay (driver pcap, required there)
 *       recovery:
 *         server: 127.0.0.1:26500       # MoldUDP64 re-request server (host:port); "" = none
 *         max_messages: 1000            # per request
 *         rate: 200                     # requests per second (token bucket)   reloadable
 *         timeout: 100ms                # per request before retry             reloadable
 *         retries: 5                                                         # reloadable
 *         deadline: 2s                  # after which a gap is unrecoverable   reloadable
 *   analytics:
 *     enabled: true
 *     bars: [1s, 5s, 15s, 30s, 1m, 5m]
 *     sma: 20                                                                # reloadable
 *     ema: 20                                                                # reloadable
 *     rsi: 14                                                                # reloadable
 *     rvol: 20                                                               # reloadable
 *     micro_levels: 5
 *     pressure_windows: [1s, 1m, 5m]
 *     baseline_file: ""                 # "" = <state dir>/<instance>.baseline
 *     z_threshold: 2.5                                                       # reloadable
 *     z_step: 1.0                                                            # reloadable
 *     baseline_days: 20
 *     baseline_min_days: 10                                                  # reloadable
 *     allow_immature: false                                                  # reloadable
 *     persist_k: 2                                                           # reloadable
 *     persist_m: 3                                                           # reloadable
 *     large_trade_size: 0               # 0 = baseline p95 else 100            reloadable
 *     min_volume: 0                     # 0 = baseline median volume           reloadable
 *     iceberg_window: 50ms                                                   # reloadable
 *     layering_window: 500ms                                                 # reloadable
 *     quality_alert: 80                 # alert when a quality score < this    reloadable
 *   session:                            # calendar for baselines / time-of-day buckets
 *     timezone_offset: -5h              # fixed UTC offset of session times
 *     open: "09:30"
 *     close: "16:00"
 *     days: [mon, tue, wed, thu, fri]
 *     holidays: [2026-11-26, 2026-12-25]   # up to RS_CFG_MAX_HOLIDAYS
 *   control:
 *     socket: /run/ringside/demo.sock   # "" = /run/ringside/<instance>.sock (or $XDG_RUNTIME_DIR)
 *     socket_group: ""                  # group allowed to use the socket
 *     http: 127.0.0.1:9106              # "" = off
 *     state_dir: /var/lib/ringside
 *     log_level: info                   # error | warn | info | debug        reloadable
 *   health:
 *     feed_silent: 1s                   # a line without packets this long -> degraded   reloadable
 *     latency_p99: 100us                # p99 above -> degraded                        reloadable
 */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RS_CFG_MAX_FEEDS     8
#define RS_CFG_MAX_LINES     2
#define RS_CFG_MAX_CORES     16
#define RS_CFG_MAX_BARS      8   /* == RS_BAR_MAX_INTERVALS */
#define RS_CFG_MAX_WINDOWS   3   /* == RS_FLOW_WINDOWS */
#define RS_CFG_MAX_HOLIDAYS  64
#define RS_CFG_NAME          32
#define RS_CFG_STR           128
#define RS_CFG_PATH          256

enum rs_cfg_driver { RS_CFG_DRV_URING = 0, RS_CFG_DRV_XDP, RS_CFG_DRV_DPDK, RS_CFG_DRV_PCAP };
enum rs_cfg_protocol { RS_CFG_PROTO_ITCH_MOLDUDP64 = 0 };
enum rs_cfg_cores_mode { RS_CFG_CORES_INLINE = 0, RS_CFG_CORES_PIPELINE };
enum rs_cfg_huge { RS_CFG_HUGE_AUTO = 0, RS_CFG_HUGE_ON, RS_CFG_HUGE_OFF };

struct rs_cfg_line {
	char name[RS_CFG_NAME];          /* "A", "B" */
	enum rs_cfg_driver driver;
	char interface[RS_CFG_NAME];
	char group[64];                  /* multicast group, "" = unicast */
	char source[64];                 /* SSM source, "" = any */
	char bind[64];                   /* local address, default 0.0.0.0 */
	uint16_t port;
	uint16_t queue;
	bool xdp_native;
	char dpdk_vdev[RS_CFG_STR];
	char pcap_file[RS_CFG_PATH];     /* driver pcap: the capture file */
};

struct rs_cfg_recovery {
	char server[RS_CFG_STR];         /* host:port, "" = none */
	uint32_t max_messages;
	uint32_t rate;                   /* requests/s */
	uint64_t timeout_ns;
	uint32_t retries;
	uint64_t deadline_ns;
};

struct rs_cfg_feed {
	char name[RS_CFG_NAME];
	enum rs_cfg_protocol protocol;
	char session[16];                /* 10 chars + NUL; "" = learn */
	uint32_t nlines;
	struct rs_cfg_line line[RS_CFG_MAX_LINES];
	struct rs_cfg_recovery recovery;
};

struct rs_cfg_analytics {
	bool enabled;
	uint32_t nbars;
	uint64_t bars_ns[RS_CFG_MAX_BARS];
	uint32_t sma, ema, rsi, rvol;
	uint32_t micro_levels;
	uint32_t nwindows;
	uint64_t windows_ns[RS_CFG_MAX_WINDOWS];
	char baseline_file[RS_CFG_PATH];
	double z_threshold, z_step;
	uint32_t baseline_days, baseline_min_days;
	bool allow_immature;
	uint32_t persist_k, persist_m;
	uint32_t large_trade_size, min_volume;
	uint64_t iceberg_ns, layering_ns;
	uint32_t quality_alert;
};

struct rs_cfg_session {
	int64_t tz_offset_ns;            /* local = UTC + offset */
	uint32_t open_min, close_min;    /* minutes after local midnight */
	uint8_t days;                    /* bit 0 = Sunday ... bit 6 = Saturday */
	uint32_t nholidays;
	uint32_t holidays[RS_CFG_MAX_HOLIDAYS]; /* yyyymmdd */
};

struct rs_config {
	char file[RS_CFG_PATH];          /* where it was loaded from ("<embedded>") */
	char instance[RS_CFG_NAME];
	/* shm */
	char shm_group[RS_CFG_NAME];     /* "" = unchanged */
	gid_t shm_gid;                   /* resolved, (gid_t)-1 = unchanged */
	mode_t shm_mode;
	enum rs_cfg_huge huge;
	/* capacities */
	uint32_t instruments, orders, levels;
	uint16_t depth;
	uint32_t event_ring, handler_ring, analytics_ring;
	/* cores */
	enum rs_cfg_cores_mode cores_mode;
	uint32_t nrx, nhandlers;
	int rx_cpu[RS_CFG_MAX_CORES], handler_cpu[RS_CFG_MAX_CORES];
	int control_cpu;                 /* -1 = any */
	/* feeds */
	uint32_t nfeeds;
	struct rs_cfg_feed feed[RS_CFG_MAX_FEEDS];
	struct rs_cfg_analytics analytics;
	struct rs_cfg_session session;
	/* control */
	char socket[RS_CFG_PATH];
	char socket_group[RS_CFG_NAME];
	char http[64];                   /* host:port, "" = off */
	char state_dir[RS_CFG_PATH];
	int log_level;                   /* 0 error, 1 warn, 2 info, 3 debug */
	/* health */
	uint64_t feed_silent_ns;
	uint64_t latency_p99_ns;
};

/* The built-in default configuration (the embedded demo: io_uring on
 * loopback, lines A 127.0.0.1:26400 and B :26401, recovery server
 * 127.0.0.1:26500, inline mode, instance "demo") as YAML text. */
extern const char rs_config_embedded_yaml[];

/* Defaults for every key (what an empty document means). */
void rs_config_defaults(struct rs_config *c);

/* Parse and validate. path is used in messages. On error returns -EINVAL
 * (or -errno for I/O) and rs_err_msg() reads like
 *   "demo.yaml:12: feeds[0].lines[1].port: 70000 is out of range 1..65535"
 *   "demo.yaml:7: capacities.oders: unknown key (did you mean 'orders'?)"
 * All problems found are reported, one per line, up to 20. */
int rs_config_load_file(struct rs_config *c, const char *path);
int rs_config_load_string(struct rs_config *c, const char *yaml, size_t len, const char *name);

/* Every message of the calling thread's last failed load, one per line
 * (rs_err_msg() holds the same text but is capped at RS_ERR_MSG_MAX
 * bytes). "" after a successful load. */
const char *rs_config_errors(void);

/* Copy the reloadable keys of src into dst; returns the number of keys
 * changed and, when a non-reloadable key differs, -EPERM with the key
 * named in rs_err_msg() (dst then unchanged). */
int rs_config_reload(struct rs_config *dst, const struct rs_config *src);

/* Canonical YAML rendering (for `ringside config check --print`): every
 * key, sizes with k/M/G (binary: 1k = 1024) and durations with the
 * largest exact unit; loading the text again gives the same config.
 * Returns the length written, or -ENOSPC when buf is too small. */
int rs_config_dump(const struct rs_config *c, char *buf, size_t len);

/* Size (k/M/G = 2^10/2^20/2^30) and duration (ns/us/ms/s/m/h, optional
 * leading '-') parsers used for the file; 0 or -EINVAL. */
int rs_config_parse_size(const char *s, uint64_t *out);
int rs_config_parse_duration(const char *s, int64_t *out);

#endif
