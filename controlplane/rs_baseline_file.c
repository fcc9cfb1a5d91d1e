/* rs_baseline_file.c - baseline persistence (see rs_baseline_file.h). */
#include "rs_baseline_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs_err.h"

#define HDR_LEN 128
static const char magic[8] = {'R', 'S', 'I', 'F', 'D', 'B', 'L', '\n'};

void (*rs__baseline_file_write_hook)(size_t written);

static size_t inst_bytes(const struct rs_bl_geom *g)
{
	return RS_BL_KEY + 8 + (size_t)g->days * 8 + (size_t)g->ncells * g->days * sizeof(struct rs_bl_cell);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int sha256(const uint8_t *hdr, const uint8_t *pay, size_t len, uint8_t out[32])
{
	uint8_t h[HDR_LEN];
	memcpy(h, hdr, HDR_LEN);
	memset(h + 24, 0, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, h, HDR_LEN) && (len == 0 || EVP_DigestUpdate(ctx, pay, len)) &&
		 EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int write_all(int fd, const uint8_t *p, size_t n, size_t *done)
{
	while (n) {
		size_t chunk = n > (1u << 20) ? (1u << 20) : n;
		ssize_t w = write(fd, p, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		*done += (size_t)w;
		if (rs__baseline_file_write_hook)
			rs__baseline_file_write_hook(*done);
	}
	return 0;
}

int rs_baseline_file_save(const struct rs_baseline *bl, const char *path)
{
	const struct rs_bl_geom *g = &bl->g;
	size_t ib = inst_bytes(g), plen = ib * bl->ninst;
	uint8_t *buf = calloc(1, HDR_LEN + plen);
	if (!buf)
		return RS_ERR_SET(-ENOMEM, "baseline %s: out of memory", path);
	uint8_t *h = buf, *p = buf + HDR_LEN;
	memcpy(h, magic, 8);
	put32(h + 8, RS_BASELINE_FILE_VERSION);
	put32(h + 12, HDR_LEN);
	put64(h + 16, plen);
	put32(h + 56, g->nwin);
	put32(h + 60, g->days);
	for (int w = 0; w < 3; w++)
		put64(h + 64 + 8 * w, g->window_ns[w]);
	put64(h + 88, g->bucket_ns);
	put64(h + 96, g->session_ns);
	put32(h + 104, bl->ninst);
	put32(h + 108, g->ncells);
	for (uint32_t i = 0; i < bl->ninst; i++) {
		const struct rs_bl_inst *in = &bl->inst[i];
		uint8_t *q = p + ib * i;
		memcpy(q, in->key, RS_BL_KEY);
		put32(q + RS_BL_KEY, in->instrument_id);
		q += RS_BL_KEY + 8;
		memcpy(q, in->dates, (size_t)g->days * 4);
		q += (size_t)g->days * 4;
		memcpy(q, in->p95, (size_t)g->days * 4);
		q += (size_t)g->days * 4;
		memcpy(q, in->cells, (size_t)g->ncells * g->days * sizeof(struct rs_bl_cell));
	}
	int rc = sha256(h, p, plen, h + 24);
	if (rc) {
		free(buf);
		return RS_ERR_SET(rc, "baseline %s: SHA-256 failed", path);
	}

	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = RS_ERR_SET(-errno, "baseline: create %s: %s", tmp, strerror(errno));
		free(buf);
		return rc;
	}
	size_t done = 0;
	rc = write_all(fd, buf, HDR_LEN + plen, &done);
	free(buf);
	if (rc) {
		RS_ERR_SET(rc, "baseline: write %s: %s", tmp, strerror(-rc));
		goto fail;
	}
	if (fsync(fd)) {
		rc = RS_ERR_SET(-errno, "baseline: fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		rc = RS_ERR_SET(-errno, "baseline: close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = RS_ERR_SET(-errno, "baseline: rename %s -> %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	/* make the rename itself durable */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Per-cell sanity: counts within the geometry, finite statistics. */
static int cells_ok(const struct rs_bl_geom *g, const struct rs_bl_cell *cells)
{
	for (uint32_t w = 0; w < g->nwin; w++)
		for (uint32_t b = 0; b < g->nbuckets[w]; b++)
			for (uint32_t d = 0; d < g->days; d++) {
				const struct rs_bl_cell *c = &cells[(size_t)(g->off[w] + b) * g->days + d];
				if (c->n > g->per_bucket[w] || c->ne > c->n)
					return 0;
				for (int m = 0; m < RS_BL_METRICS; m++)
					if (!isfinite(c->mean[m]) || !isfinite(c->m2[m]) || c->m2[m] < 0 ||
					    !isfinite(c->med[m]) || !isfinite(c->mad[m]) || c->mad[m] < 0)
						return 0;
			}
	return 1;
}

int rs_baseline_file_parse(struct rs_baseline **out, const void *data, size_t len, const char *name,
			   const struct rs_bl_geom *expect)
{
	const uint8_t *buf = data;
	struct rs_baseline *bl = NULL;
	int rc;
	if (len < HDR_LEN || memcmp(buf, magic, 8))
		return RS_ERR_SET(-EBADMSG, "baseline %s: not a baseline file (%s)", name,
				  len < HDR_LEN ? "too short" : "bad magic");
	uint32_t ver = get32(buf + 8);
	if (ver != RS_BASELINE_FILE_VERSION)
		return RS_ERR_SET(-EPROTONOSUPPORT, "baseline %s: format version %u, this build reads %u",
				  name, ver, RS_BASELINE_FILE_VERSION);
	uint64_t plen = get64(buf + 16);
	if (get32(buf + 12) != HDR_LEN || plen != len - HDR_LEN)
		return RS_ERR_SET(-EBADMSG, "baseline %s: truncated or padded (%zu bytes, header says %llu)",
				  name, len, (unsigned long long)plen + HDR_LEN);
	uint8_t md[32];
	if ((rc = sha256(buf, buf + HDR_LEN, plen, md)))
		return RS_ERR_SET(rc, "baseline %s: SHA-256 failed", name);
	if (memcmp(md, buf + 24, 32))
		return RS_ERR_SET(-EBADMSG, "baseline %s: checksum mismatch (corrupt file)", name);
	struct rs_bl_geom g = {.nwin = get32(buf + 56), .days = get32(buf + 60),
			       .bucket_ns = get64(buf + 88), .session_ns = get64(buf + 96)};
	for (int w = 0; w < 3; w++)
		g.window_ns[w] = get64(buf + 64 + 8 * w);
	uint32_t ninst = get32(buf + 104), ncells = get32(buf + 108);
	if (rs_bl_geom_derive(&g) || g.ncells != ncells)
		return RS_ERR_SET(-EBADMSG, "baseline %s: inconsistent geometry", name);
	size_t ib = inst_bytes(&g);
	if (plen % ib || plen / ib != ninst) /* division: no overflow of ib * ninst */
		return RS_ERR_SET(-EBADMSG, "baseline %s: %u instruments do not fill %llu bytes", name,
				  ninst, (unsigned long long)plen);
	if (expect && !rs_bl_geom_equal(&g, expect))
		return RS_ERR_SET(-ESTALE, "baseline %s: built for other windows/bucket/days/session", name);
	if ((rc = rs_baseline_create(&bl, &g)))
		return rc;
	for (uint32_t i = 0; i < ninst; i++) {
		const uint8_t *q = buf + HDR_LEN + ib * i;
		char key[RS_BL_KEY];
		memcpy(key, q, RS_BL_KEY);
		key[RS_BL_KEY - 1] = 0;
		if (rs_baseline_find(bl, key)) {
			rc = RS_ERR_SET(-EBADMSG, "baseline %s: instrument '%s' twice", name, key);
			goto out;
		}
		struct rs_bl_inst *in = rs_baseline_get(bl, key, get32(q + RS_BL_KEY));
		if (!in) {
			rc = RS_ERR_SET(-ENOMEM, "baseline %s: out of memory", name);
			goto out;
		}
		q += RS_BL_KEY + 8;
		memcpy(in->dates, q, (size_t)g.days * 4);
		q += (size_t)g.days * 4;
		memcpy(in->p95, q, (size_t)g.days * 4);
		q += (size_t)g.days * 4;
		memcpy(in->cells, q, (size_t)g.ncells * g.days * sizeof(struct rs_bl_cell));
		for (uint32_t d = 0; d < g.days; d++)
			if (!isfinite(in->p95[d]) || in->p95[d] < 0 || in->p95[d] > 4e9f) {
				rc = RS_ERR_SET(-EBADMSG, "baseline %s: '%s': bad trade-size p95", name, key);
				goto out;
			}
		if (!cells_ok(&g, in->cells)) {
			rc = RS_ERR_SET(-EBADMSG, "baseline %s: '%s': inconsistent cell", name, key);
			goto out;
		}
		rs_baseline_recompute(bl, in);
	}
	*out = bl;
	bl = NULL;
	rc = 0;
out:
	rs_baseline_destroy(bl);
	return rc;
}

int rs_baseline_file_load(struct rs_baseline **out, const char *path, const struct rs_bl_geom *expect)
{
	int rc;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return RS_ERR_SET(-errno, "baseline %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		rc = RS_ERR_SET(-errno, "baseline %s: %s", path, strerror(errno));
		goto out;
	}
	size_t len = (size_t)st.st_size;
	if (len < HDR_LEN) {
		rc = RS_ERR_SET(-EBADMSG, "baseline %s: not a baseline file (%zu bytes)", path, len);
		goto out;
	}
	buf = malloc(len);
	if (!buf) {
		rc = RS_ERR_SET(-ENOMEM, "baseline %s: out of memory", path);
		goto out;
	}
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = RS_ERR_SET(r < 0 ? -errno : -EBADMSG, "baseline %s: read failed", path);
			goto out;
		}
		got += (size_t)r;
	}
	rc = rs_baseline_file_parse(out, buf, len, path, expect);
out:
	free(buf);
	close(fd);
	return rc;
}
