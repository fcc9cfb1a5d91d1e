/* rs_dblive.c - Databento Raw API live client (see rs_dblive.h).
 *
 * Cold code on a session thread: it may block (poll with timeouts),
 * allocate and log. The record path is still kept cheap: records are
 * delivered in place from the receive buffer when aligned, and the seam
 * bookkeeping is one hash per record. */
#include "rs_dblive.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dataplane/rs_dbn.h"
#include "drivers/rs_drv_tcp.h"
#include "shm/rs_err.h"

#define LINE_MAX_LEN 4096
#define SYMBOLS_PER_SUB 500         /* the gateway's limit per subscription line */
#define META_MAX_LEN (64u << 20)    /* refuse absurd metadata lengths */
#define POLL_SLICE_MS 50            /* stop/deadline checks while waiting */
#define BUSY_RETRY_MS 1             /* pause after RS_DBLIVE_BUSY */
#define DEF_HB_INTERVAL_S 30
#define HB_GRACE_MS 5000
#define DEF_CONNECT_MS 5000
#define DEF_AUTH_MS 10000
#define DEF_RXBUF (1u << 20)
#define DEF_SEAM_MAX (1u << 20)
#define DEF_OPEN_AFTER 5
#define CLIENT_NAME "ringside/0.1"

/* One remembered record at the last delivered ts_event. Occupied when
 * gen == the table's current generation, so "clear" is gen++. */
struct seam_ent {
	uint64_t hash;
	uint32_t delivered; /* times delivered to the consumer */
	uint32_t matched;   /* times seen again during the current replay */
	uint32_t gen;
	uint32_t pad;
};

enum sess_rc {
	SESS_STOP = 0,  /* stop requested / deadline / callback < 0 (see c->rc) */
	SESS_FAIL,      /* retryable failure; c->err says why */
	SESS_FATAL,     /* give up; c->rc holds the return value */
};

struct rs_dblive {
	/* configuration (owned copies) */
	char host[256], port[16];
	char *gateway, *dataset, *schema, *stype_in, *symbols, *client_name;
	bool has_start;
	uint64_t start_ns;
	uint32_t hb_interval_s, hb_timeout_ms, connect_ms, auth_ms, max_run_ms;
	uint32_t seam_max;
	bool retry_auth;
	rs_dblive_log_fn log;
	void *log_arg;
	int log_level;
	struct rs_dblive_handler h;

	/* API key: in its own page, excluded from core dumps, wiped on destroy */
	char *key;
	size_t keylen;
	size_t key_map_len;

	struct rs_drv_tcp tcp;
	struct rs_backoff bo;
	atomic_bool stop;     /* set by rs_dblive_stop (any thread); relaxed is
			       * enough: it is a request, no data travels with it */
	int rc;               /* run() return value when a session ends with STOP/FATAL */
	char err[512];
	char session_id[128];
	struct rs_dblive_stats st;
	uint64_t deadline_ns; /* run() deadline, 0 = none */

	/* DBN stream */
	struct rs_dbn_counters dbnc; /* framing counters of the DBN decoder */
	uint8_t version;
	uint8_t *meta;        /* current session's metadata while it is assembled */
	size_t meta_len, meta_have;

	/* seam (exactly-once across reconnects) */
	bool have_last;
	bool replaying;
	uint64_t last_ts;
	bool seam_ts_recv;    /* bbo-/cbbo- schemas: the replay filters on ts_recv */
	struct seam_ent *seam;
	size_t seam_cap;      /* power of two */
	size_t seam_n;
	uint32_t seam_gen;
	bool seam_overflow_logged;

	_Alignas(8) uint8_t recbuf[RS_DBN_MAX_RECORD_LEN + 4];
};

/* ------------------------------------------------------------------ utils */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

static void default_log(void *arg, enum rs_dblive_log_level lvl, const char *msg)
{
	static const char *const names[] = {"?", "error", "warn", "info", "debug"};
	(void)arg;
	fprintf(stderr, "rs.dblive %s: %s\n", names[lvl <= RS_DBLIVE_LOG_DEBUG ? lvl : 0], msg);
}

__attribute__((format(printf, 3, 4))) static void logf_(struct rs_dblive *c,
							 enum rs_dblive_log_level lvl,
							 const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if ((int)lvl > c->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, lvl, msg);
}

__attribute__((format(printf, 2, 3))) static void set_err(struct rs_dblive *c, const char *fmt,
							   ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Copy gateway-provided text for messages: printable ASCII only. */
static void sanitize(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t j = 0;
	for (size_t i = 0; i < slen && src[i] && j + 1 < dlen; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[j] = '\0';
}

const char *rs_dblive_event_name(enum rs_dblive_event ev)
{
	static const char *const n[RS_DBLIVE_EV__COUNT] = {
		"connected", "authenticated", "session_started", "connection_failed",
		"connection_restored", "circuit_open", "circuit_closed", "heartbeat_timeout",
		"gateway_error", "system"};
	return (unsigned)ev < RS_DBLIVE_EV__COUNT ? n[ev] : "?";
}

static void emit(struct rs_dblive *c, enum rs_dblive_event ev, const char *detail)
{
	c->st.events_total[ev]++;
	if (c->h.on_event)
		c->h.on_event(c->h.arg, ev, detail);
}

static bool stop_requested(struct rs_dblive *c)
{
	if (atomic_load_explicit(&c->stop, memory_order_relaxed))
		return true;
	if (c->deadline_ns && mono_ns() >= c->deadline_ns)
		return true;
	return false;
}

/* ------------------------------------------------------------------- key */

int rs_dblive_cram_response(const char *cram, const char *key, char out[65])
{
	size_t cl = strlen(cram), kl = strlen(key);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *in;
	int rc = 0;

	in = malloc(cl + 1 + kl);
	if (!in)
		return -ENOMEM;
	memcpy(in, cram, cl);
	in[cl] = '|';
	memcpy(in + cl + 1, key, kl);
	if (EVP_Digest(in, cl + 1 + kl, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		rc = -EIO;
	OPENSSL_cleanse(in, cl + 1 + kl);
	free(in);
	if (rc)
		return rc;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static int check_key_chars(const char *k, size_t n, char *err, size_t errlen, const char *src)
{
	if (n < 5) {
		snprintf(err, errlen, "API key from %s is too short (%zu characters)", src, n);
		return -EINVAL;
	}
	if (n >= RS_DBLIVE_KEY_MAX) {
		snprintf(err, errlen, "API key from %s is too long (%zu characters)", src, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f || k[i] == '|') {
			snprintf(err, errlen,
				 "API key from %s contains an invalid character at position %zu",
				 src, i);
			return -EINVAL;
		}
	return 0;
}

int rs_dblive_load_key(char *key, size_t keylen, const char *key_file, const char *env,
		       char *err, size_t errlen)
{
	char dummy[256];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (keylen < RS_DBLIVE_KEY_MAX)
		return -EINVAL;

	if (key_file) {
		char buf[RS_DBLIVE_KEY_MAX + 64];
		struct stat sb;
		ssize_t n;
		size_t len;
		int fd, rc = 0;

		fd = open(key_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			int e = errno;
			if (e == ELOOP) {
				snprintf(err, errlen, "key file %s is a symbolic link; refusing it",
					 key_file);
				return -EPERM;
			}
			snprintf(err, errlen, "key file %s: %s", key_file, strerror(e));
			return -e;
		}
		if (fstat(fd, &sb) < 0) {
			rc = -errno;
			snprintf(err, errlen, "key file %s: %s", key_file, strerror(-rc));
			goto out_file;
		}
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "key file %s is not a regular file", key_file);
			rc = -EPERM;
			goto out_file;
		}
		if (sb.st_uid != geteuid()) {
			snprintf(err, errlen,
				 "key file %s is owned by uid %u, not by the running user (uid %u)",
				 key_file, (unsigned)sb.st_uid, (unsigned)geteuid());
			rc = -EPERM;
			goto out_file;
		}
		if ((sb.st_mode & 07777) != 0600 && (sb.st_mode & 07777) != 0400) {
			snprintf(err, errlen,
				 "key file %s has mode %04o; it must be 0600 or 0400 "
				 "(chmod 600 %s)",
				 key_file, (unsigned)(sb.st_mode & 07777), key_file);
			rc = -EPERM;
			goto out_file;
		}
		len = 0;
		while (len < sizeof(buf) &&
		       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				snprintf(err, errlen, "key file %s: %s", key_file, strerror(-rc));
				goto out_buf;
			}
			len += (size_t)n;
		}
		while (len > 0 && isspace((unsigned char)buf[len - 1]))
			len--;
		size_t off = 0;
		while (off < len && isspace((unsigned char)buf[off]))
			off++;
		rc = check_key_chars(buf + off, len - off, err, errlen, key_file);
		if (rc == 0) {
			memcpy(key, buf + off, len - off);
			key[len - off] = '\0';
			rc = (int)(len - off);
		}
	out_buf:
		OPENSSL_cleanse(buf, sizeof(buf));
	out_file:
		close(fd);
		return rc;
	}

	if (!env || !*env)
		env = RS_DBLIVE_DEFAULT_KEY_ENV;
	const char *v = getenv(env);
	if (!v || !*v) {
		snprintf(err, errlen, "no API key: set %s or give a key file", env);
		return -ENOKEY;
	}
	size_t n = strlen(v);
	char src[80];
	snprintf(src, sizeof(src), "$%s", env);
	int rc = check_key_chars(v, n, err, errlen, src);
	if (rc)
		return rc;
	memcpy(key, v, n + 1);
	return (int)n;
}

/* ------------------------------------------------------------ seam table */

/* Hash of a record's bytes (length is a multiple of 4). Not cryptographic:
 * identical records at one timestamp are counted, distinct ones separated
 * with 2^-64 collision odds. */
static uint64_t rec_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		w *= 0x87c37b91114253d5ull;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937full;
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
	}
	if (i < n) {
		uint32_t w;
		memcpy(&w, p + i, 4);
		h ^= (uint64_t)w * 0x87c37b91114253d5ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static struct seam_ent *seam_find(struct rs_dblive *c, uint64_t h)
{
	if (!c->seam)
		return NULL;
	size_t mask = c->seam_cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct seam_ent *e = &c->seam[i];
		if (e->gen != c->seam_gen)
			return NULL;
		if (e->hash == h)
			return e;
	}
}

static int seam_grow(struct rs_dblive *c)
{
	size_t ncap = c->seam_cap ? c->seam_cap * 2 : 1024;
	struct seam_ent *n = calloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < c->seam_cap; i++) {
		struct seam_ent *e = &c->seam[i];
		if (e->gen != c->seam_gen)
			continue;
		size_t j = e->hash & (ncap - 1);
		while (n[j].gen == 1)
			j = (j + 1) & (ncap - 1);
		n[j] = *e;
		n[j].gen = 1;
	}
	free(c->seam);
	c->seam = n;
	c->seam_cap = ncap;
	c->seam_gen = 1;
	return 0;
}

static void seam_clear(struct rs_dblive *c)
{
	c->seam_n = 0;
	c->seam_overflow_logged = false;
	if (++c->seam_gen == 0) { /* wrapped: really clear */
		if (c->seam)
			memset(c->seam, 0, c->seam_cap * sizeof(*c->seam));
		c->seam_gen = 1;
	}
}

/* Remember one more delivery of hash h at the last timestamp. */
static void seam_add(struct rs_dblive *c, uint64_t h)
{
	struct seam_ent *e = seam_find(c, h);
	if (e) {
		e->delivered++;
		if (c->replaying)
			e->matched++;
		return;
	}
	if (c->seam_n >= c->seam_max) {
		c->st.seam_overflow_total++;
		if (!c->seam_overflow_logged) {
			logf_(c, RS_DBLIVE_LOG_WARN,
			      "more than %u records at ts_event %" PRIu64
			      "; a reconnect at this timestamp may deliver duplicates",
			      c->seam_max, c->last_ts);
			c->seam_overflow_logged = true;
		}
		return;
	}
	if ((c->seam_n + 1) * 10 > c->seam_cap * 7 && seam_grow(c) < 0) {
		c->st.seam_overflow_total++;
		return;
	}
	size_t mask = c->seam_cap - 1, i = h & mask;
	while (c->seam[i].gen == c->seam_gen)
		i = (i + 1) & mask;
	c->seam[i] = (struct seam_ent){.hash = h, .delivered = 1, .matched = c->replaying,
				       .gen = c->seam_gen};
	c->seam_n++;
}

static void seam_replay_begin(struct rs_dblive *c)
{
	c->replaying = c->have_last;
	for (size_t i = 0; i < c->seam_cap; i++)
		if (c->seam[i].gen == c->seam_gen)
			c->seam[i].matched = 0;
}

/* Data records take part in the seam; session-level records do not. */
static bool is_data_rtype(uint8_t rtype)
{
	return rtype != RS_RTYPE_SYSTEM && rtype != RS_RTYPE_ERROR && rtype != RS_RTYPE_SYMMAP;
}

/* ---------------------------------------------------------------- create */

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void log_backoff_event(void *arg, enum rs_backoff_event ev, const struct rs_backoff *b)
{
	struct rs_dblive *c = arg;

	switch (ev) {
	case RS_BACKOFF_EV_CONNECTION_FAILED:
		logf_(c, RS_DBLIVE_LOG_WARN, "connection_failed (%u in a row): %s",
		      b->consecutive_failures, c->err);
		emit(c, RS_DBLIVE_EV_CONNECTION_FAILED, c->err);
		break;
	case RS_BACKOFF_EV_CONNECTION_RESTORED:
		logf_(c, RS_DBLIVE_LOG_INFO, "connection_restored to %s", c->gateway);
		emit(c, RS_DBLIVE_EV_CONNECTION_RESTORED, c->gateway);
		break;
	case RS_BACKOFF_EV_CIRCUIT_OPEN:
		logf_(c, RS_DBLIVE_LOG_ERROR,
		      "circuit_open after %u consecutive failures; next probe in %" PRIu64 " ms",
		      b->consecutive_failures, b->cfg.cooldown_ns / 1000000);
		emit(c, RS_DBLIVE_EV_CIRCUIT_OPEN, c->err);
		break;
	case RS_BACKOFF_EV_CIRCUIT_CLOSED:
		logf_(c, RS_DBLIVE_LOG_INFO, "circuit_closed: %s answers again", c->gateway);
		emit(c, RS_DBLIVE_EV_CIRCUIT_CLOSED, c->gateway);
		break;
	}
}

static bool valid_field(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (*s == '|' || *s == '\n' || *s == '\r' || *s == '=')
			return false;
	return true;
}

int rs_dblive_create(struct rs_dblive **out, const struct rs_dblive_cfg *cfg,
		     const struct rs_dblive_handler *h, char *err, size_t errlen)
{
	struct rs_dblive *c = NULL;
	char dummy[256];
	int rc;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*out = NULL;
	if (!cfg || !h || !h->on_record) {
		snprintf(err, errlen, "dblive: missing configuration or on_record callback");
		return -EINVAL;
	}
	if (!cfg->gateway || !valid_field(cfg->dataset) || !valid_field(cfg->schema) ||
	    !valid_field(cfg->symbols) || (cfg->stype_in && !valid_field(cfg->stype_in))) {
		snprintf(err, errlen,
			 "dblive: gateway, dataset, schema and symbols are required and may not "
			 "contain '|', '=' or newlines");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "dblive: out of memory");
		return -ENOMEM;
	}
	c->tcp.fd = -1;
	if (rs_drv_tcp_split_hostport(cfg->gateway, c->host, sizeof(c->host), c->port,
				      sizeof(c->port)) < 0) {
		snprintf(err, errlen, "dblive: gateway '%s' is not HOST:PORT or [IPv6]:PORT",
			 cfg->gateway);
		rc = -EINVAL;
		goto fail;
	}
	c->gateway = dupstr(cfg->gateway);
	c->dataset = dupstr(cfg->dataset);
	c->schema = dupstr(cfg->schema);
	c->stype_in = dupstr(cfg->stype_in ? cfg->stype_in : "raw_symbol");
	c->symbols = dupstr(cfg->symbols);
	c->client_name = dupstr(cfg->client_name ? cfg->client_name : CLIENT_NAME);
	if (!c->gateway || !c->dataset || !c->schema || !c->stype_in || !c->symbols ||
	    !c->client_name) {
		snprintf(err, errlen, "dblive: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	if (!valid_field(c->client_name)) {
		snprintf(err, errlen, "dblive: invalid client name");
		rc = -EINVAL;
		goto fail;
	}
	/* Databento filters intraday replay on ts_event, except for the BBO and
	 * CBBO schemas (ts_recv): resume on the same field. */
	c->seam_ts_recv = !strncmp(c->schema, "bbo-", 4) || !strncmp(c->schema, "cbbo-", 5);
	c->has_start = cfg->has_start;
	c->start_ns = cfg->start_ns;
	c->hb_interval_s = cfg->heartbeat_interval_s;
	c->hb_timeout_ms = cfg->heartbeat_timeout_ms
				   ? cfg->heartbeat_timeout_ms
				   : (c->hb_interval_s ? c->hb_interval_s : DEF_HB_INTERVAL_S) * 1000u +
					     HB_GRACE_MS;
	c->connect_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEF_CONNECT_MS;
	c->auth_ms = cfg->auth_timeout_ms ? cfg->auth_timeout_ms : DEF_AUTH_MS;
	c->max_run_ms = cfg->max_run_ms;
	c->seam_max = cfg->seam_max_records ? cfg->seam_max_records : DEF_SEAM_MAX;
	c->retry_auth = cfg->retry_auth_failure;
	c->log = cfg->log ? cfg->log : default_log;
	c->log_arg = cfg->log_arg;
	c->log_level = cfg->log_level ? cfg->log_level : RS_DBLIVE_LOG_INFO;
	c->h = *h;
	c->seam_gen = 1;

	/* The key lives in its own mapping, left out of core dumps. */
	c->key_map_len = 4096;
	c->key = mmap(NULL, c->key_map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (c->key == MAP_FAILED) {
		c->key = NULL;
		snprintf(err, errlen, "dblive: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	madvise(c->key, c->key_map_len, MADV_DONTDUMP);
	rc = rs_dblive_load_key(c->key, c->key_map_len, cfg->key_file, cfg->key_env, err, errlen);
	if (rc < 0)
		goto fail;
	c->keylen = (size_t)rc;

	size_t rxcap = cfg->rx_buf_bytes ? cfg->rx_buf_bytes : DEF_RXBUF;
	if (rxcap < 4096)
		rxcap = 4096;
	rc = rs_drv_tcp_init(&c->tcp, rxcap);
	if (rc < 0) {
		snprintf(err, errlen, "dblive: out of memory");
		goto fail;
	}

	struct rs_backoff_cfg bcfg = cfg->backoff;
	if (!bcfg.open_after)
		bcfg.open_after = DEF_OPEN_AFTER;
	rs_backoff_init(&c->bo, &bcfg, cfg->clock, cfg->clock_arg, log_backoff_event, c);
	*out = c;
	return 0;
fail:
	RS_ERR_SET(rc, "%s", err);
	rs_dblive_destroy(c);
	return rc;
}

void rs_dblive_destroy(struct rs_dblive *c)
{
	if (!c)
		return;
	if (c->key) {
		OPENSSL_cleanse(c->key, c->key_map_len);
		munmap(c->key, c->key_map_len);
	}
	rs_drv_tcp_fini(&c->tcp);
	free(c->gateway);
	free(c->dataset);
	free(c->schema);
	free(c->stype_in);
	free(c->symbols);
	free(c->client_name);
	free(c->meta);
	free(c->seam);
	free(c);
}

void rs_dblive_stop(struct rs_dblive *c)
{
	atomic_store_explicit(&c->stop, true, memory_order_relaxed);
}

const char *rs_dblive_errmsg(const struct rs_dblive *c)
{
	return c->err;
}

const struct rs_backoff *rs_dblive_backoff(const struct rs_dblive *c)
{
	return &c->bo;
}

void rs_dblive_stats(const struct rs_dblive *c, struct rs_dblive_stats *out)
{
	*out = c->st;
	out->connection_failed_total = c->bo.failures_total;
	out->connection_restored_total = c->bo.restored_total;
	out->circuit_open_total = c->bo.circuit_open_total;
	out->circuit_closed_total = c->bo.circuit_closed_total;
	out->rx_full_total = c->tcp.full_events;
	out->rx_bytes_total = c->tcp.rx_bytes;
	out->last_ts_event = c->last_ts;
}

/* ------------------------------------------------------------- handshake */

/* Reads one handshake line; on failure sets c->err with `what`. */
static int read_line(struct rs_dblive *c, char *line, size_t cap, const char *what)
{
	int r = rs_drv_tcp_readline(&c->tcp, line, cap, (int)c->auth_ms);
	if (r >= 0)
		return r;
	if (r == -ETIMEDOUT) {
		c->st.timeouts_total++;
		set_err(c, "%s: no %s within %u ms", c->gateway, what, c->auth_ms);
	} else if (r == -ECONNRESET) {
		c->st.disconnects_total++;
		set_err(c, "%s: connection closed while waiting for the %s", c->gateway, what);
	} else if (r == -EMSGSIZE) {
		c->st.protocol_errors_total++;
		set_err(c, "%s: protocol error: %s line longer than %zu bytes", c->gateway, what,
			cap - 1);
	} else {
		set_err(c, "%s: reading the %s: %s", c->gateway, what, strerror(-r));
	}
	return r;
}

static int send_str(struct rs_dblive *c, const char *s, size_t n, const char *what)
{
	int r = rs_drv_tcp_send_all(&c->tcp, s, n, (int)c->auth_ms);
	if (r < 0)
		set_err(c, "%s: sending the %s: %s", c->gateway, what, strerror(-r));
	return r;
}

/* Finds `key=` in a '|'-separated reply; copies the value (sanitized). */
static bool kv_get(const char *line, const char *key, char *val, size_t vlen)
{
	size_t kl = strlen(key);
	const char *p = line;
	while (p && *p) {
		const char *end = strchr(p, '|');
		size_t fl = end ? (size_t)(end - p) : strlen(p);
		if (fl > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			sanitize(val, vlen, p + kl + 1, fl - kl - 1);
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

static enum sess_rc authenticate(struct rs_dblive *c)
{
	char line[LINE_MAX_LEN], txt[256], hex[65];
	char *req = NULL;
	int r;

	if (read_line(c, line, sizeof(line), "greeting") < 0)
		return SESS_FAIL;
	if (strncmp(line, "lsg_version=", 12) != 0) {
		c->st.protocol_errors_total++;
		sanitize(txt, 64, line, strlen(line));
		set_err(c, "%s: protocol error: unexpected greeting '%s'", c->gateway, txt);
		return SESS_FAIL;
	}
	if (read_line(c, line, sizeof(line), "CRAM challenge") < 0)
		return SESS_FAIL;
	if (strncmp(line, "cram=", 5) != 0 || !line[5]) {
		c->st.protocol_errors_total++;
		sanitize(txt, 64, line, strlen(line));
		set_err(c, "%s: protocol error: no CRAM challenge (got '%s')", c->gateway, txt);
		return SESS_FAIL;
	}
	if (rs_dblive_cram_response(line + 5, c->key, hex) < 0) {
		set_err(c, "%s: SHA-256 of the challenge failed", c->gateway);
		return SESS_FAIL;
	}

	char hb[48] = "";
	if (c->hb_interval_s)
		snprintf(hb, sizeof(hb), "|heartbeat_interval_s=%u", c->hb_interval_s);
	size_t cap = 256 + strlen(c->dataset) + strlen(c->client_name);
	req = malloc(cap);
	if (!req) {
		set_err(c, "out of memory");
		OPENSSL_cleanse(hex, sizeof(hex));
		return SESS_FAIL;
	}
	int n = snprintf(req, cap,
			 "auth=%s-%s|dataset=%s|encoding=dbn|compression=none|ts_out=0|client=%s%s\n",
			 hex, c->key + c->keylen - 5, c->dataset, c->client_name, hb);
	OPENSSL_cleanse(hex, sizeof(hex));
	r = send_str(c, req, (size_t)n, "authentication request");
	OPENSSL_cleanse(req, cap);
	free(req);
	if (r < 0)
		return SESS_FAIL;

	if (read_line(c, line, sizeof(line), "authentication reply") < 0)
		return SESS_FAIL;
	if (!kv_get(line, "success", txt, sizeof(txt)) || strcmp(txt, "1") != 0) {
		c->st.auth_rejected_total++;
		if (!kv_get(line, "error", txt, sizeof(txt)))
			sanitize(txt, 128, line, strlen(line));
		set_err(c, "%s: authentication rejected by the gateway: %s", c->gateway, txt);
		if (!c->retry_auth) {
			c->rc = -EACCES;
			return SESS_FATAL;
		}
		return SESS_FAIL;
	}
	if (!kv_get(line, "session_id", c->session_id, sizeof(c->session_id)))
		c->session_id[0] = '\0';
	logf_(c, RS_DBLIVE_LOG_INFO, "authenticated to %s (%s), session %s", c->gateway,
	      c->tcp.peer, c->session_id[0] ? c->session_id : "?");
	emit(c, RS_DBLIVE_EV_AUTHENTICATED, c->session_id);
	return SESS_STOP; /* = ok */
}

static enum sess_rc subscribe(struct rs_dblive *c)
{
	/* Intraday replay from the last delivered ts_event after a reconnect;
	 * the seam removes what was already delivered. */
	bool replay = c->have_last;
	bool with_start = replay || c->has_start;
	uint64_t start = replay ? c->last_ts : c->start_ns;
	size_t slen = strlen(c->symbols);
	size_t cap = slen + strlen(c->schema) + strlen(c->stype_in) + 128;
	char *line = malloc(cap);
	const char *p = c->symbols;
	int r = 0;

	if (!line) {
		set_err(c, "out of memory");
		return SESS_FAIL;
	}
	while (*p) {
		const char *q = p;
		unsigned nsym = 0;
		while (*q) { /* take up to SYMBOLS_PER_SUB comma-separated symbols */
			const char *comma = strchr(q, ',');
			nsym++;
			if (!comma) {
				q += strlen(q);
				break;
			}
			if (nsym == SYMBOLS_PER_SUB) {
				q = comma;
				break;
			}
			q = comma + 1;
		}
		size_t len = (size_t)(q - p);
		bool last = *q == '\0';
		int n = snprintf(line, cap, "schema=%s|stype_in=%s|symbols=%.*s|snapshot=0|is_last=%d",
				 c->schema, c->stype_in, (int)len, p, last ? 1 : 0);
		if (with_start)
			n += snprintf(line + n, cap - (size_t)n, "|start=%" PRIu64, start);
		n += snprintf(line + n, cap - (size_t)n, "\n");
		r = send_str(c, line, (size_t)n, "subscription");
		if (r < 0)
			break;
		p = last ? q : q + 1;
	}
	free(line);
	if (r < 0)
		return SESS_FAIL;
	if (send_str(c, "start_session\n", 14, "session start") < 0)
		return SESS_FAIL;
	if (replay)
		logf_(c, RS_DBLIVE_LOG_INFO, "resubscribed with replay from %s %" PRIu64,
		      c->seam_ts_recv ? "ts_recv" : "ts_event", start);
	seam_replay_begin(c);
	return SESS_STOP;
}

/* ---------------------------------------------------------------- stream */

static bool is_heartbeat(const struct rs_dblive *c, const uint8_t *rec, size_t len)
{
	const char *msg = (const char *)rec + sizeof(struct rs_rec_hdr);
	size_t mlen = len - sizeof(struct rs_rec_hdr);
	if (mlen >= 9 && !memcmp(msg, "Heartbeat", 9))
		return true;
	if (c->version >= 3 && len >= sizeof(struct rs_dbn_system))
		return ((const struct rs_dbn_system *)(const void *)rec)->code ==
		       RS_DBN_SYSCODE_HEARTBEAT;
	return false;
}

/* Text of a SystemMsg/ErrorMsg for logs. */
static void rec_text(const uint8_t *rec, size_t len, char *out, size_t olen)
{
	size_t mlen = len - sizeof(struct rs_rec_hdr);
	if (mlen > 302)
		mlen = 302;
	sanitize(out, olen, (const char *)rec + sizeof(struct rs_rec_hdr), mlen);
}

/* Handles one complete record. Returns 0 (consumed), 1 (busy: keep it) or
 * SESS_STOP/FATAL through *stop with c->rc. */
static int handle_record(struct rs_dblive *c, const uint8_t *raw, size_t len, bool *end)
{
	const uint8_t *rec = raw;
	const struct rs_rec_hdr *hd;
	char txt[320];

	if (((uintptr_t)raw & 7u) != 0) { /* deliver an aligned copy */
		memcpy(c->recbuf, raw, len);
		rec = c->recbuf;
	}
	hd = (const struct rs_rec_hdr *)(const void *)rec;

	if (hd->rtype == RS_RTYPE_SYSTEM) {
		if (is_heartbeat(c, rec, len)) {
			c->st.heartbeats_total++;
			return 0;
		}
		rec_text(rec, len, txt, sizeof(txt));
		logf_(c, RS_DBLIVE_LOG_INFO, "gateway: %s", txt);
		emit(c, RS_DBLIVE_EV_SYSTEM, txt);
	} else if (hd->rtype == RS_RTYPE_ERROR) {
		c->st.gateway_errors_total++;
		rec_text(rec, len, txt, sizeof(txt));
		logf_(c, RS_DBLIVE_LOG_ERROR, "gateway error: %s", txt);
		emit(c, RS_DBLIVE_EV_GATEWAY_ERROR, txt);
	}

	bool data = is_data_rtype(hd->rtype);
	uint64_t ts = hd->ts_event, h = 0;
	if (c->seam_ts_recv && len >= 40) /* BboMsg/CbboMsg: ts_recv at offset 32 */
		memcpy(&ts, rec + 32, 8);
	if (data && c->have_last && ts <= c->last_ts) {
		h = rec_hash(rec, len);
		if (c->replaying) {
			if (ts < c->last_ts) {
				c->st.duplicates_dropped_total++;
				return 0;
			}
			struct seam_ent *e = seam_find(c, h);
			if (e && e->matched < e->delivered) {
				e->matched++;
				c->st.duplicates_dropped_total++;
				return 0;
			}
		}
	} else if (data) {
		c->replaying = false; /* past the seam */
	}

	int r = c->h.on_record(c->h.arg, hd, len);
	if (r == RS_DBLIVE_BUSY) {
		c->st.backpressure_total++;
		return 1;
	}
	c->st.records_total++;
	c->st.record_bytes_total += len;
	if (data) {
		if (!c->have_last || ts > c->last_ts) {
			seam_clear(c);
			c->have_last = true;
			c->last_ts = ts;
			seam_add(c, rec_hash(rec, len));
		} else if (ts == c->last_ts) {
			seam_add(c, h ? h : rec_hash(rec, len));
		}
	}
	if (r < 0) {
		c->rc = r;
		*end = true;
	}
	return 0;
}

/* Metadata: "DBN", version, u32 length, body. Assembled in its own buffer
 * so a large symbol list does not depend on the receive buffer's size.
 * Returns 1 when complete, 0 when more bytes are needed, -1 on error. */
static int take_metadata(struct rs_dblive *c)
{
	const uint8_t *p;
	size_t n = rs_drv_tcp_span(&c->tcp, &p);

	if (!c->meta) {
		uint8_t ver = 0;
		uint32_t mlen = 0;
		const char *why = "";
		int r = rs_dbn_prelude(p, n, &ver, &mlen, &why);
		if (r == -EAGAIN)
			return 0;
		if (r < 0) {
			c->st.protocol_errors_total++;
			set_err(c, "%s: protocol error: bad DBN metadata: %s", c->gateway, why);
			return -1;
		}
		if (mlen > META_MAX_LEN) {
			c->st.protocol_errors_total++;
			set_err(c, "%s: protocol error: DBN metadata length %u too large",
				c->gateway, mlen);
			return -1;
		}
		c->version = ver;
		c->meta_len = RS_DBN_PRELUDE_LEN + (size_t)mlen;
		c->meta = malloc(c->meta_len);
		if (!c->meta) {
			set_err(c, "out of memory for %zu bytes of metadata", c->meta_len);
			return -1;
		}
		c->meta_have = 0;
	}
	size_t take = c->meta_len - c->meta_have;
	if (take > n)
		take = n;
	memcpy(c->meta + c->meta_have, p, take);
	c->meta_have += take;
	rs_drv_tcp_consume(&c->tcp, take);
	return c->meta_have == c->meta_len;
}

static enum sess_rc stream(struct rs_dblive *c)
{
	uint64_t last_rx = mono_ns();
	uint64_t hb_ns = (uint64_t)c->hb_timeout_ms * 1000000ull;
	bool started = false, end = false;

	free(c->meta);
	c->meta = NULL;
	for (;;) {
		if (stop_requested(c))
			return SESS_STOP;
		if (!started) {
			int m = take_metadata(c);
			if (m < 0)
				return SESS_FAIL;
			if (m == 1) {
				started = true;
				c->st.sessions_total++;
				if (c->st.sessions_total > 1)
					c->st.reconnects_total++;
				logf_(c, RS_DBLIVE_LOG_INFO,
				      "session started: DBN v%u, %zu bytes of metadata%s", c->version,
				      c->meta_len, c->replaying ? ", replaying the seam" : "");
				emit(c, RS_DBLIVE_EV_SESSION_STARTED, c->session_id);
				rs_backoff_success(&c->bo);
				if (c->h.on_metadata)
					c->h.on_metadata(c->h.arg, c->meta, c->meta_len, c->version);
				free(c->meta);
				c->meta = NULL;
				continue;
			}
		} else {
			const uint8_t *p;
			size_t n = rs_drv_tcp_span(&c->tcp, &p);
			bool busy = false;
			while (n >= sizeof(struct rs_rec_hdr)) {
				const struct rs_rec_hdr *rec;
				int len = rs_dbn_rec_check(p, n, c->version, &c->dbnc, &rec);
				if (len == RS_DBN_NEED_MORE)
					break;
				if (len == RS_DBN_FATAL) {
					c->st.protocol_errors_total++;
					set_err(c,
						"%s: protocol error: record length %u bytes (rtype "
						"0x%02x) is shorter than a record header",
						c->gateway, p[0] * 4u, p[1]);
					return SESS_FAIL;
				}
				if (!rec) {
					/* unknown rtype or too short for its rtype: skipped,
					 * counted by the decoder */
					c->st.skipped_records_total++;
				} else if (handle_record(c, p, (size_t)len, &end)) {
					/* held: it will be checked again, count it once */
					c->dbnc.records--;
					c->dbnc.bytes -= (uint64_t)len;
					busy = true;
					break;
				}
				rs_drv_tcp_consume(&c->tcp, (size_t)len);
				if (end)
					return SESS_STOP;
				p += len;
				n -= (size_t)len;
				/* after a record, stop requests are honoured promptly */
				if (atomic_load_explicit(&c->stop, memory_order_relaxed))
					return SESS_STOP;
			}
			if (busy) {
				/* Slow reader: leave the socket unread (the kernel buffer
				 * and TCP window push back on the gateway) and retry. The
				 * pause does not count as gateway silence. */
				sleep_ms(BUSY_RETRY_MS);
				last_rx = mono_ns();
				continue;
			}
		}

		uint64_t now = mono_ns();
		uint64_t idle = now - last_rx;
		if (idle >= hb_ns) {
			c->st.heartbeat_timeouts_total++;
			set_err(c, "%s: heartbeat timeout: no data for %u ms", c->gateway,
				c->hb_timeout_ms);
			emit(c, RS_DBLIVE_EV_HEARTBEAT_TIMEOUT, c->err);
			return SESS_FAIL;
		}
		uint64_t wait = (hb_ns - idle) / 1000000ull + 1;
		int r = rs_drv_tcp_fill(&c->tcp, (int)(wait < POLL_SLICE_MS ? wait : POLL_SLICE_MS));
		if (r > 0) {
			last_rx = mono_ns();
		} else if (r == 0) {
			c->st.disconnects_total++;
			set_err(c, "%s: gateway closed the connection%s", c->gateway,
				started ? "" : " before the DBN metadata");
			return SESS_FAIL;
		} else if (r == -ENOBUFS) {
			/* cannot happen: a record (<= 1020 bytes) always fits */
			c->st.protocol_errors_total++;
			set_err(c, "%s: receive buffer full without a complete record", c->gateway);
			return SESS_FAIL;
		} else if (r != -ETIMEDOUT) {
			set_err(c, "%s: receive: %s", c->gateway, strerror(-r));
			return SESS_FAIL;
		}
	}
}

static enum sess_rc session_once(struct rs_dblive *c)
{
	enum sess_rc rc;
	int r;

	c->st.connect_attempts_total++;
	r = rs_drv_tcp_connect(&c->tcp, c->host, c->port, (int)c->connect_ms);
	if (r < 0) {
		if (r == -ETIMEDOUT)
			c->st.timeouts_total++;
		set_err(c, "connect to %s: %s", c->gateway,
			r == -ENOENT ? "host name does not resolve" : strerror(-r));
		return SESS_FAIL;
	}
	emit(c, RS_DBLIVE_EV_CONNECTED, c->tcp.peer);
	logf_(c, RS_DBLIVE_LOG_DEBUG, "connected to %s (%s)", c->gateway, c->tcp.peer);
	rc = authenticate(c);
	if (rc == SESS_STOP)
		rc = subscribe(c);
	if (rc == SESS_STOP)
		rc = stream(c);
	rs_drv_tcp_close(&c->tcp);
	return rc;
}

int rs_dblive_run(struct rs_dblive *c)
{
	c->rc = 0;
	c->deadline_ns = c->max_run_ms ? mono_ns() + (uint64_t)c->max_run_ms * 1000000ull : 0;
	for (;;) {
		uint64_t wait;
		if (stop_requested(c))
			break;
		if (!rs_backoff_ready(&c->bo, &wait)) {
			uint64_t ms = wait / 1000000ull + 1;
			sleep_ms((int)(ms < POLL_SLICE_MS ? ms : POLL_SLICE_MS));
			continue;
		}
		enum sess_rc rc = session_once(c);
		if (rc == SESS_STOP)
			break;
		if (rc == SESS_FATAL) {
			logf_(c, RS_DBLIVE_LOG_ERROR, "%s", c->err);
			RS_ERR_SET(c->rc, "dblive: %s", c->err);
			break;
		}
		rs_backoff_failure(&c->bo); /* logs and emits connection_failed etc. */
	}
	rs_drv_tcp_close(&c->tcp);
	return c->rc;
}

/* ------------------------------------------------------------------ time */

int rs_dblive_parse_time(const char *s, uint64_t *ns)
{
	if (!s || !*s)
		return -EINVAL;
	if (strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 20)
			return -EINVAL;
		errno = 0;
		unsigned long long v = strtoull(s, NULL, 10);
		if (errno)
			return -EINVAL;
		*ns = v;
		return 0;
	}
	int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &used) != 3 || used != 10)
		return -EINVAL;
	const char *p = s + used;
	uint64_t frac = 0;
	long off = 0;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (sscanf(p, "%2d:%2d%n", &h, &m, &used) != 2 || used != 5)
			return -EINVAL;
		p += used;
		if (*p == ':') {
			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
				return -EINVAL;
			sec = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
			if (*p == '.') {
				int digits = 0;
				p++;
				while (isdigit((unsigned char)*p)) {
					if (digits < 9) {
						frac = frac * 10 + (uint64_t)(*p - '0');
						digits++;
					}
					p++;
				}
				if (digits == 0)
					return -EINVAL;
				while (digits++ < 9)
					frac *= 10;
			}
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5)
				return -EINVAL;
			off = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
			p += 1 + used;
		}
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || Y < 1970)
		return -EINVAL;
	struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
			.tm_min = m, .tm_sec = sec};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || (int64_t)t - off < 0)
		return -EINVAL;
	*ns = (uint64_t)((int64_t)t - off) * 1000000000ull + frac;
	return 0;
}
