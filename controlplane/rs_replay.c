/* rs_replay.c - MoldUDP64 feed replayer (see rs_replay.h). */
#include "rs_replay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/rs_pcapfile.h"
#include "dataplane/rs_itchfile.h"
#include "dataplane/rs_moldudp.h"
#include "shm/rs_err.h"

#define PKT_MAX 1500
#define SENDQ 32

/* ---------------------------------------------------------------- helpers */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static inline uint64_t rnd64(uint64_t *s)
{
	*s += 0xa0761d6478bd642fULL;
	__uint128_t t = (__uint128_t)*s * (*s ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

static inline double rnd01(uint64_t *s)
{
	return (double)(rnd64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---------------------------------------------------------------- history */

/*
 * Ring of the last `keep` messages: per-sequence (offset, length) slots
 * and a byte ring. A message is available while it is among the last
 * `keep` sent and its bytes were not overwritten.
 */
struct hist {
	uint8_t *bytes;
	uint64_t bmask;      /* byte ring size - 1 (power of two) */
	uint64_t bhead;      /* absolute bytes written */
	uint64_t *off;
	uint16_t *len;
	uint64_t smask;      /* slot ring size - 1 (power of two) */
	uint64_t keep;
	uint64_t next_seq;   /* first sequence number not yet stored */
};

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static int hist_init(struct hist *h, uint64_t keep)
{
	uint64_t slots = pow2_at_least(keep ? keep : 1);
	uint64_t bytes = pow2_at_least((keep ? keep : 1) * 64 < (1 << 20) ? (1 << 20) : keep * 64);
	h->bytes = malloc(bytes);
	h->off = malloc(slots * sizeof(uint64_t));
	h->len = malloc(slots * sizeof(uint16_t));
	if (!h->bytes || !h->off || !h->len)
		return -ENOMEM;
	h->bmask = bytes - 1;
	h->smask = slots - 1;
	h->keep = keep;
	h->bhead = 0;
	h->next_seq = 1;
	return 0;
}

static void hist_fini(struct hist *h)
{
	free(h->bytes);
	free(h->off);
	free(h->len);
}

static void hist_put(struct hist *h, const uint8_t *m, size_t len)
{
	uint64_t i = h->next_seq & h->smask;
	h->off[i] = h->bhead;
	h->len[i] = (uint16_t)len;
	uint64_t at = h->bhead & h->bmask, first = h->bmask + 1 - at;
	if (first >= len) {
		memcpy(h->bytes + at, m, len);
	} else {
		memcpy(h->bytes + at, m, first);
		memcpy(h->bytes, m + first, len - first);
	}
	h->bhead += len;
	h->next_seq++;
}

static bool hist_has(const struct hist *h, uint64_t seq)
{
	if (seq == 0 || seq >= h->next_seq || h->next_seq - seq > h->keep)
		return false;
	uint64_t i = seq & h->smask;
	return h->off[i] + h->bmask + 1 >= h->bhead;
}

/* Copy message `seq` (hist_has() true) to out; returns its length. */
static size_t hist_get(const struct hist *h, uint64_t seq, uint8_t *out)
{
	uint64_t i = seq & h->smask;
	size_t len = h->len[i];
	uint64_t at = h->off[i] & h->bmask, first = h->bmask + 1 - at;
	if (first >= len) {
		memcpy(out, h->bytes + at, len);
	} else {
		memcpy(out, h->bytes + at, first);
		memcpy(out + first, h->bytes, len - first);
	}
	return len;
}

/* ---------------------------------------------------------------- source */

struct src {
	int kind;
	struct rs_itchfile f;
	bool f_open;
	struct rs_pcapfile *pf;
	struct rs_moldudp_iter it;
	bool have_seq;
	uint64_t cap_next;   /* pcap: next capture sequence number wanted */
	struct rs_gen *g;
	uint8_t gbuf[RS_GEN_MSG_MAX];
	uint64_t skipped;
};

/* Next message: 1, 0 at end, -errno (rs_err set). */
static int src_next(struct src *s, const uint8_t **m, size_t *len)
{
	switch (s->kind) {
	case RS_REPLAY_SRC_DAY: {
		int rc = rs_itchfile_next(&s->f, m, len);
		if (rc == -EBADMSG)
			return RS_ERR_SET(-EBADMSG, "day file truncated at byte %zu", s->f.err_off);
		return rc;
	}
	case RS_REPLAY_SRC_GEN:
		*len = rs_gen_next(s->g, s->gbuf);
		*m = s->gbuf;
		return *len ? 1 : 0;
	default:
		for (;;) {
			uint64_t seq;
			while (rs_moldudp_next(&s->it, m, len, &seq)) {
				if (s->have_seq && seq < s->cap_next) {
					s->skipped++; /* A/B copies or repeats in the capture */
					continue;
				}
				s->have_seq = true;
				s->cap_next = seq + 1;
				return 1;
			}
			struct rs_pcapfile_udp u;
			int rc = rs_pcapfile_next_udp(s->pf, NULL, &u);
			if (rc <= 0)
				return rc;
			struct rs_moldudp_pkt pk;
			if (rs_moldudp_parse(u.udp.payload, u.udp.payload_len, &pk) != RS_MOLDUDP_OK) {
				s->skipped++;
				continue;
			}
			rs_moldudp_iter_init(&s->it, &pk);
		}
	}
}

/* ---------------------------------------------------------------- lines */

struct held {
	uint8_t buf[PKT_MAX];
	uint16_t len;
	uint16_t msgs;
	uint32_t wait;   /* later packets still to go out before this one */
	bool dup;
};

struct line {
	int fd;
	struct sockaddr_in dest;
	struct rs_replay_faults f;
	uint64_t rng;
	uint32_t burst_left;
	struct held *held;     /* reorder_window entries */
	uint32_t nheld;
	/* send queue for sendmmsg */
	uint8_t (*qbuf)[PKT_MAX];
	uint16_t qlen[SENDQ];
	uint16_t qmsgs[SENDQ];
	struct mmsghdr mh[SENDQ];
	struct iovec iov[SENDQ];
	uint32_t nq;
	struct rs_replay_line_stats st;
};

struct rs_replay {
	struct rs_replay_opts o;
	struct src src;
	struct line line[2];
	uint32_t nlines;
	struct hist h;
	pthread_mutex_t mu;     /* history and rr counters */
	int rr_fd;
	uint16_t rr_port;
	pthread_t rr_thread;
	bool rr_started;
	atomic_bool stop;       /* rs_replay_stop(); read by both loops */
	atomic_bool rr_quit;    /* end of the re-request thread */
	struct rs_replay_stats st;
};

static void line_flush(struct line *l)
{
	uint32_t done = 0;
	while (done < l->nq) {
		int n = sendmmsg(l->fd, l->mh + done, l->nq - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			l->st.send_errors++; /* skip the packet that failed */
			done++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			l->st.packets++;
			l->st.messages += l->qmsgs[done + (uint32_t)i];
			l->st.bytes += l->qlen[done + (uint32_t)i];
		}
		done += (uint32_t)n;
	}
	l->nq = 0;
}

static void line_queue(struct line *l, const uint8_t *p, uint16_t len, uint16_t msgs)
{
	if (l->nq == SENDQ)
		line_flush(l);
	uint32_t i = l->nq++;
	memcpy(l->qbuf[i], p, len);
	l->qlen[i] = len;
	l->qmsgs[i] = msgs;
	l->iov[i].iov_base = l->qbuf[i];
	l->iov[i].iov_len = len;
	memset(&l->mh[i], 0, sizeof(l->mh[i]));
	l->mh[i].msg_hdr.msg_name = &l->dest;
	l->mh[i].msg_hdr.msg_namelen = sizeof(l->dest);
	l->mh[i].msg_hdr.msg_iov = &l->iov[i];
	l->mh[i].msg_hdr.msg_iovlen = 1;
}

static void line_emit(struct line *l, const uint8_t *p, uint16_t len, uint16_t msgs, bool dup)
{
	line_queue(l, p, len, msgs);
	if (dup) {
		line_queue(l, p, len, msgs);
		l->st.duplicated++;
	}
}

/* One packet through the line's fault pipeline. */
static void line_packet(struct line *l, const uint8_t *p, uint16_t len, uint16_t msgs)
{
	const struct rs_replay_faults *f = &l->f;
	bool drop = false;
	if (l->burst_left) {
		l->burst_left--;
		l->st.burst_dropped++;
		drop = true;
	} else if (f->burst_len && f->burst_prob > 0 && rnd01(&l->rng) < f->burst_prob) {
		l->burst_left = f->burst_len - 1;
		l->st.bursts++;
		l->st.burst_dropped++;
		drop = true;
	} else if (f->drop > 0 && rnd01(&l->rng) < f->drop) {
		drop = true;
	}
	if (drop) {
		l->st.dropped++;
		l->st.dropped_msgs += msgs;
		return;
	}
	bool dup = f->dup > 0 && rnd01(&l->rng) < f->dup;
	if (f->reorder_window && l->nheld < f->reorder_window &&
	    rnd01(&l->rng) < f->reorder_prob) {
		struct held *h = &l->held[l->nheld++];
		memcpy(h->buf, p, len);
		h->len = len;
		h->msgs = msgs;
		h->dup = dup;
		h->wait = 1 + (uint32_t)(rnd64(&l->rng) % f->reorder_window);
		l->st.reordered++;
		return;
	}
	line_emit(l, p, len, msgs, dup);
	/* release held packets whose turn came (in the order they were held) */
	for (uint32_t i = 0; i < l->nheld;) {
		struct held *h = &l->held[i];
		if (--h->wait == 0) {
			line_emit(l, h->buf, h->len, h->msgs, h->dup);
			l->held[i] = l->held[--l->nheld];
			/* keep the hold order for the rest: swap back is fine, waits are independent */
		} else {
			i++;
		}
	}
}

static void line_drain(struct line *l)
{
	for (uint32_t i = 0; i < l->nheld; i++)
		line_emit(l, l->held[i].buf, l->held[i].len, l->held[i].msgs, l->held[i].dup);
	l->nheld = 0;
	line_flush(l);
}

/* Heartbeat (count 0) or end-of-session (0xFFFF) packet on every line;
 * not subject to fault injection. */
static void send_ctrl(struct rs_replay *r, uint64_t next, uint16_t kind)
{
	uint8_t p[RS_MOLDUDP_HDR_LEN];
	rs_moldudp_hdr_build(p, (const uint8_t *)r->o.session, next, kind);
	for (uint32_t i = 0; i < r->nlines; i++) {
		struct line *l = &r->line[i];
		if (sendto(l->fd, p, sizeof(p), 0, (const struct sockaddr *)&l->dest,
			   sizeof(l->dest)) != (ssize_t)sizeof(p))
			l->st.send_errors++;
		else if (kind == RS_MOLDUDP_EOS)
			l->st.eos++;
		else
			l->st.heartbeats++;
	}
}

static void send_eos(struct rs_replay *r)
{
	pthread_mutex_lock(&r->mu);
	uint64_t next = r->h.next_seq;
	pthread_mutex_unlock(&r->mu);
	send_ctrl(r, next, RS_MOLDUDP_EOS);
}

/* ---------------------------------------------------------------- re-requests */

static void rr_serve(struct rs_replay *r, const uint8_t *req, size_t n,
		     const struct sockaddr_in *from)
{
	struct rs_moldudp_req q;
	uint8_t pkt[PKT_MAX];
	uint32_t maxm = r->o.max_msgs, maxp = r->o.max_payload;
	pthread_mutex_lock(&r->mu);
	r->st.rr_requests++;
	if (rs_moldudp_req_parse(req, n, &q) || memcmp(q.session, r->o.session, 10) ||
	    q.count == 0 || q.seq == 0) {
		r->st.rr_bad++;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	if (!hist_has(&r->h, q.seq)) {
		r->st.rr_unavailable++;
		pthread_mutex_unlock(&r->mu);
		return;
	}
	uint64_t end = q.seq + q.count;
	if (end > r->h.next_seq) {
		end = r->h.next_seq;
		r->st.rr_partial++;
	}
	uint64_t seq = q.seq;
	while (seq < end) {
		size_t off = RS_MOLDUDP_HDR_LEN;
		uint64_t first = seq;
		uint16_t cnt = 0;
		while (seq < end && cnt < maxm && hist_has(&r->h, seq)) {
			uint64_t i = seq & r->h.smask;
			size_t ml = r->h.len[i];
			if (off + 2 + ml > maxp && cnt)
				break;
			if (off + 2 + ml > sizeof(pkt))
				break; /* cannot happen for ITCH (<= 50 bytes) */
			pkt[off] = (uint8_t)(ml >> 8);
			pkt[off + 1] = (uint8_t)ml;
			hist_get(&r->h, seq, pkt + off + 2);
			off += 2 + ml;
			cnt++;
			seq++;
		}
		if (!cnt)
			break;
		rs_moldudp_hdr_build(pkt, (const uint8_t *)r->o.session, first, cnt);
		/* sending under the lock keeps the copy consistent; it is a test tool */
		if (sendto(r->rr_fd, pkt, off, 0, (const struct sockaddr *)from, sizeof(*from)) ==
		    (ssize_t)off) {
			r->st.rr_packets++;
			r->st.rr_messages += cnt;
		}
	}
	pthread_mutex_unlock(&r->mu);
}

static void *rr_main(void *arg)
{
	struct rs_replay *r = arg;
	uint8_t buf[2048];
	/* paired with the release store in rr_stop_thread() */
	while (!atomic_load_explicit(&r->rr_quit, memory_order_acquire)) {
		struct pollfd pfd = {.fd = r->rr_fd, .events = POLLIN};
		int n = poll(&pfd, 1, 50);
		if (n <= 0)
			continue;
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t k = recvfrom(r->rr_fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);
			if (k < 0)
				break;
			rr_serve(r, buf, (size_t)k, &from);
		}
	}
	return NULL;
}

static void rr_stop_thread(struct rs_replay *r)
{
	if (!r->rr_started)
		return;
	atomic_store_explicit(&r->rr_quit, true, memory_order_release);
	pthread_join(r->rr_thread, NULL);
	r->rr_started = false;
}

/* ---------------------------------------------------------------- options */

void rs_replay_opts_default(struct rs_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	rs_gen_opts_default(&o->gen);
	o->src = RS_REPLAY_SRC_DAY;
	o->nlines = 1;
	o->ttl = 1;
	o->max_msgs = 8;
	o->max_payload = 1400;
	o->seed = 1;
	o->history = 1000000;
	o->linger = 1.0;
	o->eos_interval = 1.0;
	memcpy(o->session, "RSREPLAY01", 10);
	for (int i = 0; i < 2; i++)
		o->faults[i].reorder_prob = 0.1;
}

int rs_replay_parse_burst(const char *s, uint32_t *len, double *prob)
{
	char *e;
	unsigned long n = strtoul(s, &e, 10);
	if (e == s || *e != '@' || n < 1 || n > 1000000)
		return -EINVAL;
	const char *p = e + 1;
	double v = strtod(p, &e);
	if (e == p || *e || !(v >= 0 && v <= 1))
		return -EINVAL;
	*len = (uint32_t)n;
	*prob = v;
	return 0;
}

int rs_replay_parse_dest(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *c = strrchr(s, ':');
	if (!c || c == s || (size_t)(c - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	char *e;
	unsigned long port = strtoul(c + 1, &e, 10);
	if (e == c + 1 || *e || port < 1 || port > 65535)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int check_faults(const struct rs_replay_faults *f, char name)
{
	if (!(f->drop >= 0 && f->drop <= 1) || !(f->dup >= 0 && f->dup <= 1) ||
	    !(f->reorder_prob >= 0 && f->reorder_prob <= 1) ||
	    !(f->burst_prob >= 0 && f->burst_prob <= 1) || f->reorder_window > 4096)
		return RS_ERR_SET(-EINVAL, "line %c: fault probabilities must be in [0,1], "
					   "reorder window <= 4096", name);
	return 0;
}

/* ---------------------------------------------------------------- create */

static int open_line(struct rs_replay *r, struct line *l, int idx)
{
	const struct rs_replay_opts *o = &r->o;
	char name = (char)('A' + idx);
	l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return RS_ERR_SET(-errno, "line %c: socket: %s", name, strerror(errno));
	int sz = 4 << 20;
	setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	int ttl = o->ttl > 0 ? o->ttl : 1;
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &l->dest.sin_addr, addr, sizeof(addr));
	if (IN_MULTICAST(ntohl(l->dest.sin_addr.s_addr))) {
		if (setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)))
			return RS_ERR_SET(-errno, "line %c: IP_MULTICAST_TTL: %s", name, strerror(errno));
		int loop = 1;
		setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
		if (o->iface[0] || o->ifaddr.s_addr != INADDR_ANY) {
			struct ip_mreqn mr = {.imr_address = o->ifaddr};
			if (o->iface[0]) {
				mr.imr_ifindex = (int)if_nametoindex(o->iface);
				if (!mr.imr_ifindex)
					return RS_ERR_SET(-ENODEV, "line %c: interface %s: %s", name,
							  o->iface, strerror(errno));
			}
			if (setsockopt(l->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
				return RS_ERR_SET(-errno, "line %c: send %s on %s: %s", name, addr,
						  o->iface[0] ? o->iface : inet_ntoa(o->ifaddr),
						  strerror(errno));
		}
	} else if (o->ttl > 0) {
		setsockopt(l->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	l->f = o->faults[idx];
	if (l->f.reorder_window) {
		l->held = calloc(l->f.reorder_window, sizeof(*l->held));
		if (!l->held)
			return RS_ERR_SET(-ENOMEM, "out of memory");
	}
	l->qbuf = malloc(SENDQ * PKT_MAX);
	if (!l->qbuf)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	l->rng = o->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)(idx + 1) * 0xbf58476d1ce4e5b9ULL;
	return 0;
}

int rs_replay_create(struct rs_replay **out, const struct rs_replay_opts *o)
{
	int rc;
	struct rs_replay *r = calloc(1, sizeof(*r));
	if (!r)
		return RS_ERR_SET(-ENOMEM, "out of memory");
	r->o = *o;
	r->rr_fd = -1;
	r->line[0].fd = r->line[1].fd = -1;
	pthread_mutex_init(&r->mu, NULL);
	if (!r->o.max_msgs)
		r->o.max_msgs = 8;
	if (!r->o.max_payload)
		r->o.max_payload = 1400;
	if (o->nlines < 1 || o->nlines > 2) {
		rc = RS_ERR_SET(-EINVAL, "one or two destinations (lines A and B)");
		goto fail;
	}
	if (r->o.max_payload < 64 || r->o.max_payload > PKT_MAX - 28 || r->o.max_msgs > 0xFFFE) {
		rc = RS_ERR_SET(-EINVAL, "packet limits: payload 64..%d bytes", PKT_MAX - 28);
		goto fail;
	}
	if (!(o->rate >= 0) || !(o->duration >= 0) || !(o->linger >= 0)) {
		rc = RS_ERR_SET(-EINVAL, "rate, duration and linger must be >= 0");
		goto fail;
	}
	if (!r->o.eos_interval)
		r->o.eos_interval = 1.0;
	for (uint32_t i = 0; i < o->nlines; i++)
		if ((rc = check_faults(&o->faults[i], (char)('A' + i))))
			goto fail;
	if ((rc = hist_init(&r->h, o->history ? o->history : 1))) {
		rc = RS_ERR_SET(rc, "history of %u messages: out of memory", o->history);
		goto fail;
	}

	/* source */
	r->src.kind = o->src;
	if (o->src != RS_REPLAY_SRC_GEN && !o->path) {
		rc = RS_ERR_SET(-EINVAL, "no source file");
		goto fail;
	}
	switch (o->src) {
	case RS_REPLAY_SRC_DAY:
		if ((rc = rs_itchfile_open(&r->src.f, o->path, 0))) {
			RS_ERR_APPEND("replay source");
			goto fail;
		}
		r->src.f_open = true;
		break;
	case RS_REPLAY_SRC_PCAP:
		if ((rc = rs_pcapfile_open(&r->src.pf, o->path))) {
			RS_ERR_APPEND("replay source");
			goto fail;
		}
		break;
	case RS_REPLAY_SRC_GEN: {
		char err[256];
		if ((rc = rs_gen_create(&r->src.g, &o->gen, err, sizeof(err)))) {
			RS_ERR_SET(rc, "generator: %s", err);
			goto fail;
		}
		break;
	}
	default:
		rc = RS_ERR_SET(-EINVAL, "unknown source format %d", o->src);
		goto fail;
	}

	r->nlines = o->nlines;
	for (uint32_t i = 0; i < r->nlines; i++) {
		r->line[i].dest = o->dest[i];
		if ((rc = open_line(r, &r->line[i], (int)i)))
			goto fail;
	}

	if (o->retrans) {
		r->rr_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->rr_fd < 0) {
			rc = RS_ERR_SET(-errno, "retransmission socket: %s", strerror(errno));
			goto fail;
		}
		int one = 1, sz = 8 << 20;
		setsockopt(r->rr_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* bursts of re-requests must not be dropped by a small buffer
		 * (FORCE needs CAP_NET_ADMIN; fall back to the rmem_max cap) */
		if (setsockopt(r->rr_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(r->rr_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(o->retrans_port),
					.sin_addr = o->retrans_bind};
		if (bind(r->rr_fd, (struct sockaddr *)&a, sizeof(a))) {
			rc = RS_ERR_SET(-errno, "retransmission port %s:%u: %s",
					inet_ntoa(o->retrans_bind), o->retrans_port, strerror(errno));
			goto fail;
		}
		socklen_t al = sizeof(a);
		getsockname(r->rr_fd, (struct sockaddr *)&a, &al);
		r->rr_port = ntohs(a.sin_port);
	}
	*out = r;
	return 0;
fail:
	rs_replay_destroy(r);
	return rc;
}

void rs_replay_destroy(struct rs_replay *r)
{
	if (!r)
		return;
	rr_stop_thread(r);
	for (int i = 0; i < 2; i++) {
		if (r->line[i].fd >= 0)
			close(r->line[i].fd);
		free(r->line[i].held);
		free(r->line[i].qbuf);
	}
	if (r->rr_fd >= 0)
		close(r->rr_fd);
	if (r->src.f_open)
		rs_itchfile_close(&r->src.f);
	if (r->src.pf)
		rs_pcapfile_close(r->src.pf);
	rs_gen_destroy(r->src.g);
	hist_fini(&r->h);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

uint16_t rs_replay_retrans_port(const struct rs_replay *r)
{
	return r->rr_port;
}

void rs_replay_stop(struct rs_replay *r)
{
	/* paired with the acquire loads in rs_replay_run() */
	atomic_store_explicit(&r->stop, true, memory_order_release);
}

static bool stopping(struct rs_replay *r)
{
	return atomic_load_explicit(&r->stop, memory_order_acquire);
}

/* ---------------------------------------------------------------- run */

int rs_replay_run(struct rs_replay *r)
{
	const struct rs_replay_opts *o = &r->o;
	uint8_t pkt[PKT_MAX];
	int rc = 0;
	if (r->rr_fd >= 0) {
		if ((rc = -pthread_create(&r->rr_thread, NULL, rr_main, r)))
			return RS_ERR_SET(rc, "retransmission thread: %s", strerror(-rc));
		r->rr_started = true;
	}
	double t0 = now_s(), tlast = t0, tsent = t0, tokens = 0;
	double bucket = o->rate > 0 ? (o->rate / 200 > o->max_msgs * 4 ? o->rate / 200 : o->max_msgs * 4)
				    : 0;
	const uint8_t *m = NULL;
	size_t mlen = 0;
	bool pending = false; /* m/mlen hold a message that did not fit the last packet */
	bool eof = false;
	uint64_t npk = 0;
	while (!eof) {
		if (stopping(r)) {
			r->st.by_signal = true;
			break;
		}
		if (o->duration > 0 && now_s() - t0 >= o->duration) {
			r->st.by_duration = true;
			break;
		}
		/* build one packet */
		size_t off = RS_MOLDUDP_HDR_LEN;
		uint16_t cnt = 0;
		pthread_mutex_lock(&r->mu);
		uint64_t first = r->h.next_seq;
		for (;;) {
			if (!pending) {
				if (o->max_messages && r->st.source_messages >= o->max_messages) {
					eof = true;
					break;
				}
				int k = src_next(&r->src, &m, &mlen);
				if (k < 0) {
					rc = k;
					eof = true;
					break;
				}
				if (k == 0) {
					eof = true;
					break;
				}
				r->st.source_messages++;
				pending = true;
			}
			if (mlen + 2 + RS_MOLDUDP_HDR_LEN > o->max_payload) {
				pending = false; /* larger than any packet: skip it, counted */
				r->src.skipped++;
				continue;
			}
			if (cnt && (cnt == o->max_msgs || off + 2 + mlen > o->max_payload))
				break;
			pkt[off] = (uint8_t)(mlen >> 8);
			pkt[off + 1] = (uint8_t)mlen;
			memcpy(pkt + off + 2, m, mlen);
			hist_put(&r->h, m, mlen);
			off += 2 + mlen;
			cnt++;
			pending = false;
			if (cnt == o->max_msgs)
				break;
		}
		pthread_mutex_unlock(&r->mu);
		if (!cnt)
			break;
		rs_moldudp_hdr_build(pkt, (const uint8_t *)o->session, first, cnt);
		npk++;
		r->st.source_packets++;
		if (o->rate > 0 && o->pace_even) {
			/* packet k is due at t0 + (messages before it) / rate: sleep
			 * while far, spin the last 200 us, send it alone. Behind
			 * schedule (this core was taken away) it goes out at once,
			 * still alone: the receiver sees the sender's own pace, not
			 * a sendmmsg burst. Each late packet is counted, so the
			 * schedule, not the sender, defines when a packet was due. */
			double due = t0 + (double)(r->st.source_messages - cnt - pending) / o->rate;
			double t;
			while ((t = now_s()) < due && !stopping(r))
				if (due - t > 200e-6)
					sleep_s(due - t - 150e-6);
			if (t - due > 10e-6)
				r->st.late_packets++;
			if (t - due > r->st.late_max)
				r->st.late_max = t - due;
			for (uint32_t i = 0; i < r->nlines; i++) {
				line_packet(&r->line[i], pkt, (uint16_t)off, cnt);
				line_flush(&r->line[i]);
			}
			continue;
		}
		if (o->rate > 0) { /* token bucket in messages */
			double t = now_s();
			tokens += (t - tlast) * o->rate;
			tlast = t;
			if (tokens > bucket)
				tokens = bucket;
			if (tokens < cnt) {
				for (uint32_t i = 0; i < r->nlines; i++)
					line_flush(&r->line[i]);
				/* wait in short steps: stop and --duration stay responsive,
				 * and an idle second gets a heartbeat (count 0, next seq) */
				double until = t + (cnt - tokens) / o->rate;
				while ((t = now_s()) < until && !stopping(r) &&
				       !(o->duration > 0 && t - t0 >= o->duration)) {
					if (t - tsent >= 1.0) {
						send_ctrl(r, first, RS_MOLDUDP_HEARTBEAT);
						tsent = t;
					}
					sleep_s(until - t < 0.05 ? until - t : 0.05);
				}
				tokens += (t - tlast) * o->rate;
				tlast = t;
			}
			tokens -= cnt;
			tsent = t;
		}
		for (uint32_t i = 0; i < r->nlines; i++)
			line_packet(&r->line[i], pkt, (uint16_t)off, cnt);
	}
	for (uint32_t i = 0; i < r->nlines; i++)
		line_drain(&r->line[i]);
	r->st.elapsed = now_s() - t0;

	/* end of session, then answer re-requests while lingering */
	send_eos(r);
	if (r->rr_fd >= 0 && !r->st.by_signal) {
		double tend = now_s() + o->linger, tnext = now_s() + o->eos_interval;
		while (!stopping(r)) {
			double t = now_s();
			if (t >= tend)
				break;
			if (t >= tnext) {
				send_eos(r);
				tnext += o->eos_interval;
			}
			double w = tend - t < 0.05 ? tend - t : 0.05;
			sleep_s(w);
		}
	}
	if (stopping(r))
		r->st.by_signal = true;
	rr_stop_thread(r);
	return rc;
}

void rs_replay_get_stats(struct rs_replay *r, struct rs_replay_stats *st)
{
	pthread_mutex_lock(&r->mu);
	*st = r->st;
	st->next_seq = r->h.next_seq;
	pthread_mutex_unlock(&r->mu);
	st->nlines = r->nlines;
	st->src_skipped = r->src.skipped;
	for (uint32_t i = 0; i < r->nlines; i++)
		st->line[i] = r->line[i].st;
}

/* ---------------------------------------------------------------- output */

void rs_replay_stats_print(const struct rs_replay_stats *st, FILE *f)
{
	fprintf(f, "replay: %llu messages in %llu packets, %.3f s%s%s\n",
		(unsigned long long)st->source_messages, (unsigned long long)st->source_packets,
		st->elapsed, st->by_duration ? " (stopped by --duration)" : "",
		st->by_signal ? " (interrupted)" : "");
	for (uint32_t i = 0; i < st->nlines; i++) {
		const struct rs_replay_line_stats *l = &st->line[i];
		fprintf(f,
			"  line %c: sent %llu packets / %llu messages, dropped %llu (%llu in %llu bursts), "
			"duplicated %llu, reordered %llu, heartbeats %llu, end-of-session %llu, "
			"send errors %llu\n",
			'A' + i, (unsigned long long)l->packets, (unsigned long long)l->messages,
			(unsigned long long)l->dropped, (unsigned long long)l->burst_dropped,
			(unsigned long long)l->bursts, (unsigned long long)l->duplicated,
			(unsigned long long)l->reordered, (unsigned long long)l->heartbeats,
			(unsigned long long)l->eos, (unsigned long long)l->send_errors);
	}
	fprintf(f,
		"  retransmission: %llu requests, %llu messages in %llu packets served, "
		"%llu unavailable, %llu partial, %llu bad\n",
		(unsigned long long)st->rr_requests, (unsigned long long)st->rr_messages,
		(unsigned long long)st->rr_packets, (unsigned long long)st->rr_unavailable,
		(unsigned long long)st->rr_partial, (unsigned long long)st->rr_bad);
	if (st->late_packets || st->late_max > 0)
		fprintf(f, "  pacing: %llu packets sent > 10 us behind schedule, at most %.1f us\n",
			(unsigned long long)st->late_packets, st->late_max * 1e6);
	if (st->src_skipped)
		fprintf(f, "  source: %llu datagrams/messages skipped\n",
			(unsigned long long)st->src_skipped);
}

void rs_replay_stats_json(const struct rs_replay_stats *st, FILE *f)
{
	fprintf(f,
		"{\"messages\":%llu,\"packets\":%llu,\"next_seq\":%llu,\"elapsed_s\":%.6f,"
		"\"by_duration\":%s,\"interrupted\":%s,\"source_skipped\":%llu,"
		"\"late_packets\":%llu,\"late_max_s\":%.9f,\"lines\":[",
		(unsigned long long)st->source_messages, (unsigned long long)st->source_packets,
		(unsigned long long)st->next_seq, st->elapsed, st->by_duration ? "true" : "false",
		st->by_signal ? "true" : "false", (unsigned long long)st->src_skipped,
		(unsigned long long)st->late_packets, st->late_max);
	for (uint32_t i = 0; i < st->nlines; i++) {
		const struct rs_replay_line_stats *l = &st->line[i];
		fprintf(f,
			"%s{\"line\":\"%c\",\"packets\":%llu,\"messages\":%llu,\"bytes\":%llu,"
			"\"dropped\":%llu,\"dropped_messages\":%llu,\"burst_dropped\":%llu,"
			"\"bursts\":%llu,\"duplicated\":%llu,\"reordered\":%llu,\"heartbeats\":%llu,"
			"\"eos\":%llu,"
			"\"send_errors\":%llu}",
			i ? "," : "", 'A' + i, (unsigned long long)l->packets,
			(unsigned long long)l->messages, (unsigned long long)l->bytes,
			(unsigned long long)l->dropped, (unsigned long long)l->dropped_msgs,
			(unsigned long long)l->burst_dropped, (unsigned long long)l->bursts,
			(unsigned long long)l->duplicated, (unsigned long long)l->reordered,
			(unsigned long long)l->heartbeats, (unsigned long long)l->eos,
			(unsigned long long)l->send_errors);
	}
	fprintf(f,
		"],\"retrans\":{\"requests\":%llu,\"messages\":%llu,\"packets\":%llu,"
		"\"unavailable\":%llu,\"partial\":%llu,\"bad\":%llu}}\n",
		(unsigned long long)st->rr_requests, (unsigned long long)st->rr_messages,
		(unsigned long long)st->rr_packets, (unsigned long long)st->rr_unavailable,
		(unsigned long long)st->rr_partial, (unsigned long long)st->rr_bad);
}
