/*
 * rs_recovery.c - MoldUDP64 re-request client thread. See rs_recovery.h.
 */
#include "controlplane/rs_recovery.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/rs_moldudp.h"
#include "shm/rs_counters.h"
#include "shm/rs_err.h"

#define MAX_PENDING 4096

struct pend {
	uint8_t session[RS_MOLDUDP_SESSION_LEN];
	uint64_t seq, end;       /* still missing: [seq, end) */
	uint64_t t_first;        /* gap arrival */
	uint64_t t_sent;         /* last send, 0 = never */
	uint32_t sends;
};

struct rfeed {
	struct rs_recovery_feed_cfg cfg;
	int fd;
	double tokens;
	uint64_t t_tokens;
	struct pend *p;          /* [MAX_PENDING] */
	uint32_t np;
	struct rs_recovery_stats st;
	pthread_mutex_t st_lock; /* guards st and cfg's reloadable fields against readers */
};

struct rs_recovery {
	uint32_t nfeeds;
	struct rfeed f[RS_RECOVERY_MAX_FEEDS];
	pthread_t thr;
	int cpu;
	_Atomic int stop;
	int started;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_socket(struct rfeed *f)
{
	char host[128];
	snprintf(host, sizeof(host), "%s", f->cfg.server);
	char *colon = strrchr(host, ':');
	if (!colon)
		return RS_ERR_SET(-EINVAL, "feed %s: recovery server '%s': expected host:port", f->cfg.name,
				  f->cfg.server);
	*colon = 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai;
	int e = getaddrinfo(host, colon + 1, &hints, &ai);
	if (e)
		return RS_ERR_SET(-EHOSTUNREACH, "feed %s: recovery server '%s': %s", f->cfg.name,
				  f->cfg.server, gai_strerror(e));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return RS_ERR_SET(-err, "feed %s: recovery server %s: %s", f->cfg.name, f->cfg.server,
				  strerror(err));
	}
	freeaddrinfo(ai);
	int rcv = 8 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	f->fd = fd;
	return 0;
}

/* New gap from the rx thread: split into requests. */
static void add_gap(struct rfeed *f, const struct rs_rlink_req *q, uint64_t now)
{
	f->st.gaps++;
	uint32_t maxm = f->cfg.max_messages ? f->cfg.max_messages : 1000;
	if (maxm > 65534)
		maxm = 65534;
	for (uint64_t s = q->seq; s < q->seq + q->count; s += maxm) {
		if (f->np == MAX_PENDING) {
			f->st.expired++; /* cannot track more: let the deadline deal with it */
			f->st.expired_msgs += q->seq + q->count - s;
			return;
		}
		struct pend *p = &f->p[f->np++];
		memcpy(p->session, q->session, sizeof(p->session));
		p->seq = s;
		p->end = s + maxm < q->seq + q->count ? s + maxm : q->seq + q->count;
		p->t_first = now;
		p->t_sent = 0;
		p->sends = 0;
	}
}

static void remove_at(struct rfeed *f, uint32_t i)
{
	f->p[i] = f->p[--f->np];
}

/* An answer [s, e): the part of pending requests it covers is served. */
static void served(struct rfeed *f, uint64_t s, uint64_t e)
{
	for (uint32_t i = 0; i < f->np;) {
		struct pend *p = &f->p[i];
		if (s <= p->seq && e > p->seq)
			p->seq = e;
		if (p->seq >= p->end) {
			remove_at(f, i);
			continue;
		}
		i++;
	}
}

static void feed_rx(struct rfeed *f)
{
	uint8_t buf[2048];
	for (int k = 0; k < 256; k++) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		struct rs_moldudp_pkt pk;
		if (rs_moldudp_parse(buf, (size_t)n, &pk) != RS_MOLDUDP_OK || pk.kind != RS_MOLDUDP_DATA)
			continue;
		f->st.answered++;
		f->st.answered_msgs += pk.count;
		if (rs_vring_write(&f->cfg.link->pkt_tx, RS_RLINK_PKT, buf, (uint32_t)n))
			f->st.link_full++;
		else
			served(f, pk.seq, pk.seq + pk.count);
	}
}

static void feed_tick(struct rfeed *f, uint64_t now)
{
	struct rs_rlink_req q;
	uint32_t type;
	while (rs_vring_read(&f->cfg.link->req_rx, &q, sizeof(q), &type) >= 0)
		if (type == RS_RLINK_REQ)
			add_gap(f, &q, now);
	if (!f->np)
		return;
	/* token bucket */
	double rate = f->cfg.rate ? f->cfg.rate : 200, burst = rate / 10 + 1;
	f->tokens += (double)(now - f->t_tokens) * rate / 1e9;
	if (f->tokens > burst)
		f->tokens = burst;
	f->t_tokens = now;
	uint64_t next = f->cfg.next_seq ? atomic_load_explicit(f->cfg.next_seq, memory_order_relaxed) : 0;
	for (uint32_t i = 0; i < f->np;) {
		struct pend *p = &f->p[i];
		if (next > p->seq) { /* filled meanwhile (by a line or an answer) */
			if (next >= p->end) {
				f->st.dropped_below_next++;
				remove_at(f, i);
				continue;
			}
			p->seq = next;
		}
		if (now - p->t_first >= f->cfg.deadline_ns) {
			fprintf(stderr,
				"ringsided: ERROR feed %s: gap [%llu, %llu) unrecoverable: %u request(s), "
				"no answer within the %.3f s deadline; instruments stay stale\n",
				f->cfg.name, (unsigned long long)p->seq, (unsigned long long)p->end, p->sends,
				(double)f->cfg.deadline_ns / 1e9);
			f->st.expired++;
			f->st.expired_msgs += p->end - p->seq;
			remove_at(f, i);
			continue;
		}
		bool due = !p->sends || (p->sends <= f->cfg.retries && now - p->t_sent >= f->cfg.timeout_ns);
		if (due) {
			if (f->tokens < 1) {
				f->st.rate_limited++;
				i++;
				continue;
			}
			uint8_t req[RS_MOLDUDP_REQ_LEN];
			uint64_t cnt = p->end - p->seq;
			rs_moldudp_req_build(req, p->session, p->seq, (uint16_t)(cnt > 65534 ? 65534 : cnt));
			if (send(f->fd, req, sizeof(req), 0) == (ssize_t)sizeof(req)) {
				f->tokens -= 1;
				f->st.requests++;
				if (p->sends)
					f->st.resends++;
				if (f->cfg.c_requests)
					rs_counters_add(f->cfg.c_requests, 1);
			}
			p->sends++;
			p->t_sent = now;
		}
		i++;
	}
}

static void *thread_main(void *arg)
{
	struct rs_recovery *r = arg;
	struct pollfd pfd[RS_RECOVERY_MAX_FEEDS];
	uint32_t map[RS_RECOVERY_MAX_FEEDS], n = 0;
	if (r->cpu >= 0) {
		cpu_set_t cs;
		CPU_ZERO(&cs);
		CPU_SET(r->cpu, &cs);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	}
	for (uint32_t i = 0; i < r->nfeeds; i++)
		if (r->f[i].fd >= 0) {
			pfd[n].fd = r->f[i].fd;
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
	while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
		/* 200 us: bounds how long a fresh gap waits before its first request */
		struct timespec to = {0, 200000};
		(void)ppoll(pfd, n, &to, NULL);
		uint64_t now = mono_ns();
		for (uint32_t k = 0; k < n; k++) {
			struct rfeed *f = &r->f[map[k]];
			pthread_mutex_lock(&f->st_lock);
			if (pfd[k].revents & POLLIN)
				feed_rx(f);
			feed_tick(f, now);
			f->st.pending = f->np;
			pthread_mutex_unlock(&f->st_lock);
		}
	}
	return NULL;
}

int rs_recovery_start(struct rs_recovery **out, const struct rs_recovery_cfg *cfg)
{
	*out = NULL;
	struct rs_recovery *r = calloc(1, sizeof(*r));
	if (!r)
		return RS_ERR_SET(-ENOMEM, "recovery: out of memory");
	r->nfeeds = cfg->nfeeds > RS_RECOVERY_MAX_FEEDS ? RS_RECOVERY_MAX_FEEDS : cfg->nfeeds;
	r->cpu = cfg->cpu;
	int rc = 0;
	for (uint32_t i = 0; i < r->nfeeds; i++) {
		struct rfeed *f = &r->f[i];
		f->cfg = cfg->feed[i];
		f->fd = -1;
		pthread_mutex_init(&f->st_lock, NULL);
		if (!f->cfg.timeout_ns)
			f->cfg.timeout_ns = 100000000ull;
		if (!f->cfg.deadline_ns)
			f->cfg.deadline_ns = 2000000000ull;
		if (!f->cfg.server[0] || !f->cfg.link)
			continue;
		f->p = calloc(MAX_PENDING, sizeof(*f->p));
		if (!f->p) {
			rc = RS_ERR_SET(-ENOMEM, "recovery: out of memory");
			goto fail;
		}
		if ((rc = open_socket(f)))
			goto fail;
		f->t_tokens = mono_ns();
		f->tokens = 1;
	}
	if ((rc = -pthread_create(&r->thr, NULL, thread_main, r))) {
		RS_ERR_SET(rc, "recovery: pthread_create: %s", strerror(-rc));
		goto fail;
	}
	r->started = 1;
	*out = r;
	return 0;
fail:
	rs_recovery_stop(r);
	return rc;
}

void rs_recovery_stop(struct rs_recovery *r)
{
	if (!r)
		return;
	if (r->started) {
		atomic_store_explicit(&r->stop, 1, memory_order_release);
		pthread_join(r->thr, NULL);
	}
	for (uint32_t i = 0; i < r->nfeeds; i++) {
		if (r->f[i].fd >= 0)
			close(r->f[i].fd);
		free(r->f[i].p);
		pthread_mutex_destroy(&r->f[i].st_lock);
	}
	free(r);
}

void rs_recovery_set_params(struct rs_recovery *r, uint32_t feed, uint32_t rate, uint64_t timeout_ns,
			    uint32_t retries, uint64_t deadline_ns)
{
	if (feed >= r->nfeeds)
		return;
	struct rfeed *f = &r->f[feed];
	pthread_mutex_lock(&f->st_lock);
	f->cfg.rate = rate;
	f->cfg.timeout_ns = timeout_ns;
	f->cfg.retries = retries;
	f->cfg.deadline_ns = deadline_ns;
	pthread_mutex_unlock(&f->st_lock);
}

void rs_recovery_get_stats(struct rs_recovery *r, uint32_t feed, struct rs_recovery_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (feed >= r->nfeeds)
		return;
	pthread_mutex_lock(&r->f[feed].st_lock);
	*out = r->f[feed].st;
	pthread_mutex_unlock(&r->f[feed].st_lock);
}
