/* rs_test_gateway.c - loopback Databento Raw API gateway for the tests
 * (see rs_test_gateway.h). Test code: blocking sockets with poll timeouts,
 * one connection at a time on the gateway's thread. */
#include "rs_test_gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ringside.h"

struct rs_test_gateway {
	struct rs_test_gateway_cfg cfg;
	int lfd;
	uint16_t port;
	pthread_t thr;
	atomic_bool stop;        /* set by stop(); relaxed: a request only */

	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t cv;
	int want_down;           /* -1 none, 0 up, 1 down: request to the thread */
	unsigned nconns;
	struct rs_test_gateway_conn conns[RS_TGW_MAX_CONNS];

	/* the DBN file */
	size_t meta_len;
	size_t *rec_off;         /* offsets of records in cfg.dbn */
	size_t nrec;
	uint8_t version;
};

static int listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	getsockname(fd, (struct sockaddr *)&a, &al);
	*bound = ntohs(a.sin_port);
	return fd;
}

static bool stopping(struct rs_test_gateway *gw)
{
	return atomic_load_explicit(&gw->stop, memory_order_relaxed);
}

/* Send everything; false when the client went away or we are stopping. */
static bool send_all(struct rs_test_gateway *gw, int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		if (stopping(gw))
			return false;
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int r = poll(&pfd, 1, 20);
		if (r <= 0)
			continue;
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return false;
		}
		b += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read one line (without "\n") within ~2 s; false on close/timeout. */
static bool read_line(struct rs_test_gateway *gw, int fd, char *line, size_t cap)
{
	size_t n = 0;
	for (int waited = 0; waited < 2000 && !stopping(gw);) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 20);
		if (r <= 0) {
			waited += 20;
			continue;
		}
		char ch;
		ssize_t got = recv(fd, &ch, 1, 0);
		if (got <= 0)
			return false;
		if (ch == '\n') {
			line[n] = '\0';
			return true;
		}
		if (n + 1 < cap)
			line[n++] = ch;
	}
	return false;
}

/* Wait until the client closes (discarding what it sends), optionally
 * sending heartbeats every hb_ms. */
static void wait_close(struct rs_test_gateway *gw, int fd, unsigned ci, bool heartbeats)
{
	uint8_t hb[320];
	size_t hblen;
	unsigned since = 0;

	memset(hb, 0, sizeof(hb));
	hblen = gw->version >= 2 ? 320 : 80; /* SystemMsg v2/v3 : v1 */
	struct rs_rec_hdr *hd = (struct rs_rec_hdr *)hb;
	hd->length = (uint8_t)(hblen / 4);
	hd->rtype = RS_RTYPE_SYSTEM;
	memcpy(hb + 16, "Heartbeat", 9); /* v2+: code (last byte) 0 = heartbeat */

	while (!stopping(gw)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 10);
		if (r > 0) {
			char buf[512];
			ssize_t got = recv(fd, buf, sizeof(buf), 0);
			if (got <= 0)
				return;
			continue;
		}
		since += 10;
		if (heartbeats && since >= gw->cfg.heartbeat_ms) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			hd->ts_event = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			if (!send_all(gw, fd, hb, hblen))
				return;
			pthread_mutex_lock(&gw->mu);
			gw->conns[ci].heartbeats_sent++;
			pthread_mutex_unlock(&gw->mu);
			since = 0;
		}
	}
}

static void hexdigest(const char *cram, const char *key, char out[65])
{
	char in[1024];
	unsigned char md[32];
	unsigned int mdlen = 0;
	int n = snprintf(in, sizeof(in), "%s|%s", cram, key);
	EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *field(const char *line, const char *key, char *val, size_t vlen)
{
	size_t kl = strlen(key);
	for (const char *p = line; p && *p;) {
		const char *end = strchr(p, '|');
		size_t fl = end ? (size_t)(end - p) : strlen(p);
		if (fl > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = fl - kl - 1 < vlen - 1 ? fl - kl - 1 : vlen - 1;
			memcpy(val, p + kl + 1, vl);
			val[vl] = '\0';
			return val;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void serve(struct rs_test_gateway *gw, int fd, unsigned ci)
{
	struct rs_test_gateway_step step = {RS_TGW_NORMAL, 0};
	struct rs_test_gateway_conn *c = &gw->conns[ci];
	char line[8192], cram[64], expect[65], val[128];

	if (gw->cfg.nscript)
		step = gw->cfg.script[ci < gw->cfg.nscript ? ci : gw->cfg.nscript - 1];

	if (step.mode == RS_TGW_MUTE) {
		wait_close(gw, fd, ci, false);
		return;
	}
	if (step.mode == RS_TGW_GARBAGE_GREETING) {
		static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\n";
		send_all(gw, fd, junk, sizeof(junk) - 1);
		wait_close(gw, fd, ci, false);
		return;
	}

	snprintf(cram, sizeof(cram), "t%uchallenge%08x", ci, 0x5eed1234u + ci * 7919u);
	snprintf(line, sizeof(line), "lsg_version=0.7.2\ncram=%s\n", cram);
	if (!send_all(gw, fd, line, strlen(line)))
		return;
	if (!read_line(gw, fd, line, sizeof(line)))
		return;
	pthread_mutex_lock(&gw->mu);
	snprintf(c->auth, sizeof(c->auth), "%s", line);
	pthread_mutex_unlock(&gw->mu);

	hexdigest(cram, gw->cfg.key, expect);
	bool ok = false;
	if (field(line, "auth", val, sizeof(val))) {
		size_t kl = strlen(gw->cfg.key);
		ok = strlen(val) == 64 + 1 + 5 && !strncmp(val, expect, 64) && val[64] == '-' &&
		     !strcmp(val + 65, gw->cfg.key + kl - 5);
	}
	if (!ok) {
		const char *no = "success=0|error=Authentication failed.\n";
		send_all(gw, fd, no, strlen(no));
		wait_close(gw, fd, ci, false);
		return;
	}
	snprintf(line, sizeof(line), "success=1|session_id=%u\n", 1000 + ci);
	if (!send_all(gw, fd, line, strlen(line)))
		return;
	pthread_mutex_lock(&gw->mu);
	c->auth_ok = true;
	pthread_mutex_unlock(&gw->mu);

	for (;;) {
		if (!read_line(gw, fd, line, sizeof(line)))
			return;
		if (!strcmp(line, "start_session"))
			break;
		pthread_mutex_lock(&gw->mu);
		if (c->nsubs < RS_TGW_MAX_SUBS)
			snprintf(c->subs[c->nsubs++], sizeof(c->subs[0]), "%s", line);
		if (field(line, "start", val, sizeof(val))) {
			c->has_start = true;
			c->start = strtoull(val, NULL, 10);
		}
		pthread_mutex_unlock(&gw->mu);
	}
	pthread_mutex_lock(&gw->mu);
	c->started = true;
	bool has_start = c->has_start;
	uint64_t start = c->start;
	pthread_mutex_unlock(&gw->mu);

	if (!send_all(gw, fd, gw->cfg.dbn, gw->meta_len))
		return;

	if (step.mode == RS_TGW_EXTRAS) {
		uint8_t x[320 * 2 + 16];
		size_t sl = gw->version >= 2 ? 320 : 80;
		memset(x, 0, sizeof(x));
		struct rs_rec_hdr *h = (struct rs_rec_hdr *)x;
		h->length = (uint8_t)(sl / 4);
		h->rtype = RS_RTYPE_SYSTEM;
		memcpy(x + 16, "Subscription request 0 for mbo data succeeded", 46);
		if (sl == 320)
			x[319] = 1; /* code: subscription ack */
		h = (struct rs_rec_hdr *)(x + sl);
		h->length = (uint8_t)(sl / 4);
		h->rtype = RS_RTYPE_ERROR;
		memcpy(x + sl + 16, "Symbol XYZ not found", 20);
		h = (struct rs_rec_hdr *)(x + 2 * sl);
		h->length = 4;
		h->rtype = 0xEE; /* no such rtype */
		if (!send_all(gw, fd, x, 2 * sl + 16))
			return;
	}

	/* Records from start (files are in ts_event order), in batches. */
	size_t first = 0;
	if (has_start)
		while (first < gw->nrec) {
			uint64_t ts; /* records may be unaligned in the file image */
			memcpy(&ts, gw->cfg.dbn + gw->rec_off[first] + offsetof(struct rs_rec_hdr, ts_event), 8);
			if (ts >= start)
				break;
			first++;
		}
	uint64_t limit = UINT64_MAX;
	if (step.mode == RS_TGW_DROP || step.mode == RS_TGW_SILENT ||
	    step.mode == RS_TGW_GARBAGE_STREAM)
		limit = step.arg;
	uint64_t sent = 0;
	size_t i = first;
	while (i < gw->nrec && sent < limit) {
		size_t j = i, bytes = 0;
		while (j < gw->nrec && sent + (j - i) < limit && bytes < 16384) {
			bytes += (size_t)gw->cfg.dbn[gw->rec_off[j]] * 4;
			j++;
		}
		if (!send_all(gw, fd, gw->cfg.dbn + gw->rec_off[i], bytes))
			return;
		sent += j - i;
		i = j;
		pthread_mutex_lock(&gw->mu);
		c->records_sent = sent;
		pthread_mutex_unlock(&gw->mu);
	}

	switch (step.mode) {
	case RS_TGW_DROP:
		if (i < gw->nrec) /* half a record, then hang up */
			send_all(gw, fd, gw->cfg.dbn + gw->rec_off[i], (size_t)gw->cfg.dbn[gw->rec_off[i]] * 2);
		return;
	case RS_TGW_SILENT:
		wait_close(gw, fd, ci, false);
		return;
	case RS_TGW_GARBAGE_STREAM: {
		/* length byte 1 = a 4-byte "record": shorter than any header */
		uint8_t junk[64];
		memset(junk, 0xee, sizeof(junk));
		junk[0] = 1;
		send_all(gw, fd, junk, sizeof(junk));
		wait_close(gw, fd, ci, false);
		return;
	}
	default:
		wait_close(gw, fd, ci, true);
		return;
	}
}

static void *gw_thread(void *arg)
{
	struct rs_test_gateway *gw = arg;

	while (!stopping(gw)) {
		pthread_mutex_lock(&gw->mu);
		if (gw->want_down >= 0) {
			if (gw->want_down == 1 && gw->lfd >= 0) {
				close(gw->lfd);
				gw->lfd = -1;
			} else if (gw->want_down == 0 && gw->lfd < 0) {
				uint16_t p;
				int fd = listen_on(gw->port, &p);
				gw->lfd = fd >= 0 ? fd : -1;
			}
			gw->want_down = -1;
			pthread_cond_broadcast(&gw->cv);
		}
		int lfd = gw->lfd;
		pthread_mutex_unlock(&gw->mu);
		if (lfd < 0) {
			poll(NULL, 0, 5);
			continue;
		}
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&gw->mu);
		unsigned ci = gw->nconns < RS_TGW_MAX_CONNS ? gw->nconns++ : RS_TGW_MAX_CONNS - 1;
		pthread_mutex_unlock(&gw->mu);
		serve(gw, fd, ci);
		pthread_mutex_lock(&gw->mu);
		gw->conns[ci].done = true;
		pthread_mutex_unlock(&gw->mu);
		close(fd);
	}
	return NULL;
}

int rs_test_gateway_start(struct rs_test_gateway **out, const struct rs_test_gateway_cfg *cfg)
{
	struct rs_test_gateway *gw = calloc(1, sizeof(*gw));
	uint32_t mlen;
	size_t off, cap = 1024;

	if (!gw)
		return -ENOMEM;
	gw->cfg = *cfg;
	if (!gw->cfg.heartbeat_ms)
		gw->cfg.heartbeat_ms = 50;
	if (cfg->dbn_len < 8 || memcmp(cfg->dbn, "DBN", 3) != 0)
		goto inval;
	gw->version = cfg->dbn[3];
	memcpy(&mlen, cfg->dbn + 4, 4);
	gw->meta_len = 8 + (size_t)mlen;
	if (gw->meta_len > cfg->dbn_len)
		goto inval;
	gw->rec_off = malloc(cap * sizeof(size_t));
	for (off = gw->meta_len; off < cfg->dbn_len;) {
		size_t len = (size_t)cfg->dbn[off] * 4;
		if (len < 16 || off + len > cfg->dbn_len)
			goto inval;
		if (gw->nrec == cap) {
			cap *= 2;
			gw->rec_off = realloc(gw->rec_off, cap * sizeof(size_t));
		}
		gw->rec_off[gw->nrec++] = off;
		off += len;
	}
	gw->want_down = -1;
	pthread_mutex_init(&gw->mu, NULL);
	pthread_cond_init(&gw->cv, NULL);
	gw->lfd = listen_on(0, &gw->port);
	if (gw->lfd < 0) {
		int e = gw->lfd;
		free(gw->rec_off);
		free(gw);
		return e;
	}
	if (pthread_create(&gw->thr, NULL, gw_thread, gw) != 0) {
		close(gw->lfd);
		free(gw->rec_off);
		free(gw);
		return -EAGAIN;
	}
	*out = gw;
	return 0;
inval:
	free(gw->rec_off);
	free(gw);
	return -EINVAL;
}

void rs_test_gateway_stop(struct rs_test_gateway *gw)
{
	if (!gw)
		return;
	atomic_store_explicit(&gw->stop, true, memory_order_relaxed);
	pthread_join(gw->thr, NULL);
	if (gw->lfd >= 0)
		close(gw->lfd);
	pthread_mutex_destroy(&gw->mu);
	pthread_cond_destroy(&gw->cv);
	free(gw->rec_off);
	free(gw);
}

uint16_t rs_test_gateway_port(const struct rs_test_gateway *gw)
{
	return gw->port;
}

int rs_test_gateway_set_down(struct rs_test_gateway *gw, bool down)
{
	pthread_mutex_lock(&gw->mu);
	gw->want_down = down ? 1 : 0;
	while (gw->want_down != -1 && !stopping(gw))
		pthread_cond_wait(&gw->cv, &gw->mu);
	int rc = (down ? gw->lfd < 0 : gw->lfd >= 0) ? 0 : -EADDRINUSE;
	pthread_mutex_unlock(&gw->mu);
	return rc;
}

unsigned rs_test_gateway_connections(struct rs_test_gateway *gw)
{
	pthread_mutex_lock(&gw->mu);
	unsigned n = gw->nconns;
	pthread_mutex_unlock(&gw->mu);
	return n;
}

bool rs_test_gateway_conn(struct rs_test_gateway *gw, unsigned i, struct rs_test_gateway_conn *out)
{
	pthread_mutex_lock(&gw->mu);
	bool ok = i < gw->nconns;
	if (ok)
		*out = gw->conns[i];
	pthread_mutex_unlock(&gw->mu);
	return ok;
}
