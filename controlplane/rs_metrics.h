/*
 * rs_metrics.h - operator views computed from an instance's shared memory
 * (COLD: control plane, CLI). Both the daemon's HTTP endpoints and the
 * CLI (`ringside stats`, `status`, `feeds`) use these, attached through
 * libringside like any client, so they keep working when the daemon's
 * threads are wedged.
 *
 * Counter naming contract (the daemon allocates these in the counters
 * segment; labels are Prometheus series names):
 *   rs_line_packets_total{feed="F",line="A"}      packets received on a line
 *   rs_line_bytes_total{feed,line}
 *   rs_line_messages_total{feed,line}             MoldUDP64 messages in them
 *   rs_line_duplicates_total{feed,line}           messages dropped by arbitration
 *   rs_line_discarded_total{feed,line}            messages ahead of a gap dropped with the
 *                                                 reorder buffer full (delivered later from
 *                                                 another line or retransmission)
 *   rs_line_drops_total{feed,line}                driver/NIC drops
 *   rs_line_last_rx_ns{feed,line}                 (heartbeat) rx time of the last packet
 *   rs_feed_messages_total{feed}                  delivered in sequence
 *   rs_feed_gaps_total{feed}                      gaps detected (on all lines)
 *   rs_feed_gap_messages_total{feed}              messages missing in them
 *   rs_feed_recovered_total{feed}                 messages recovered by retransmission
 *   rs_feed_unrecovered_total{feed}               messages given up (deadline)
 *   rs_feed_requests_total{feed}                  retransmission requests sent
 *   rs_feed_gaps_open{feed}                       (gauge)
 *   rs_feed_next_seq{feed}                        (gauge) next expected sequence number
 *   rs_feed_state{feed}                           (gauge) 0 down, 1 up, 2 recovering, 3 stale
 *   rs_feed_reconnects_total{feed}
 *   rs_feed_stale_instruments{feed}               (gauge)
 *   rs_core_loops_total{core="N",role="rx|handler|inline"}
 *   rs_core_busy_loops_total{core,role}           loops that did work
 *   rs_ring_occupancy{ring="handler0"}            (gauge) records waiting
 *   rs_ring_capacity{ring}                        (gauge)
 *   rs_ring_full_total{ring}                      producer found the ring full
 *   rs_events_published_total, rs_book_orders_live (gauge), rs_book_rejected_total,
 *   rs_signals_total, rs_bars_total, rs_bcast_overwrites_total{ring}
 * Latency histograms: RS_SEGNAME_LATENCY (struct rs_latency_block, names
 * like "rx_to_publish/core1").
 */
#ifndef RS_METRICS_H
#define RS_METRICS_H

#include "controlplane/rs_config.h"
#include "controlplane/rs_http.h"
#include "ringside.h"

enum rs_health { RS_HEALTH_HEALTHY = 0, RS_HEALTH_DEGRADED, RS_HEALTH_CRITICAL, RS_HEALTH_OFFLINE };

/* Prometheus text exposition (version 0.0.4) of every counter of the
 * instance, the latency histograms (as Prometheus histograms plus
 * p50/p99/p99.9/max gauges) and rs_build_info. Returns 0 or -errno. */
int rs_metrics_prometheus(struct rs_client *c, struct rs_sbuf *out);

/* Health from shared memory and thresholds (cfg may be NULL: defaults):
 * offline (no instance / producer dead or stopped), critical (a feed down
 * or silent, unrecovered gaps), degraded (a line silent, gaps open,
 * ring overruns, p99 above cfg->latency_p99_ns). Appends
 * {"status":"healthy|degraded|critical|offline","reasons":[...],...} to
 * out (when non-NULL) and returns the state. */
enum rs_health rs_health_eval(struct rs_client *c, const struct rs_config *cfg, uint64_t now_ns,
			      struct rs_sbuf *out);
const char *rs_health_name(enum rs_health h);

/* Copy of the instance's latency block (RS_SEGNAME_LATENCY), read-only.
 * 0, -ENODEV (no latency segment) or -errno. */
int rs_metrics_latency(struct rs_client *c, struct rs_latency_block *out);

/* Percentile (0 < q <= 1) of a histogram, ns (bucket lower bound; max_ns
 * for q == 1). 0 when empty. */
uint64_t rs_latency_percentile(const struct rs_latency_hist *h, double q);

#endif
