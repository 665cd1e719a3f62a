/*
 * discover.c — finding the traces under the reader's inputs, and repairing
 * truncated ones (reader_int.h).
 *
 * Discovery: every directory at or below an input that holds a metadata
 * file, in a stable (sorted) order, grouped into traces by the UUID of their
 * metadata (the chunks of a rotated trace share one). Repair: a stream file
 * cut mid-packet makes src.ctf.fs refuse the whole trace, so the reader
 * reads a shadow copy cut at the last complete packet, and says so in a note.
 */
#include "reader.h"
#include "reader_int.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int reader__add_path(struct reader *r, const char *path)
{
    char *dup;

    if (r->npaths == r->cap_paths) {
        size_t cap = r->cap_paths ? r->cap_paths * 2 : 8;
        char **np = realloc(r->paths, cap * sizeof(*np));
        if (np == NULL) {
            return -ENOMEM;
        }
        r->paths = np;
        r->cap_paths = cap;
    }
    dup = strdup(path);
    if (dup == NULL) {
        return -ENOMEM;
    }
    r->paths[r->npaths++] = dup;
    return 0;
}

int reader__is_live_url(const char *s)
{
    return strncmp(s, "net://", 6) == 0 || strncmp(s, "net4://", 7) == 0 ||
           strncmp(s, "net6://", 7) == 0;
}

/* dir + "/" + name into buf; -ENAMETOOLONG when it does not fit. */
static int join_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Remove a shadow directory we made: its files and links, then itself. */
void reader__remove_tree(const char *dir)
{
    char path[4096];
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                join_path(path, sizeof path, dir, de->d_name) == 0) {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The trace UUID from a CTF metadata file (packetized or text); -1 if none. */
static int metadata_uuid(const char *dir, uint8_t uuid[16])
{
    char path[4096];
    unsigned char buf[8192];
    const char *p;
    uint32_t magic;
    size_t n;
    int i, k;
    FILE *f;

    if (join_path(path, sizeof path, dir, "metadata") < 0) {
        return -1;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n >= 20) {
        memcpy(&magic, buf, 4);
        if (magic == 0x75D11D57u || magic == __builtin_bswap32(0x75D11D57u)) {
            memcpy(uuid, buf + 4, 16); /* the metadata packet header's: the trace's */
            return 0;
        }
    }
    /* Text metadata: the uuid of the trace block. */
    p = strstr((const char *)buf, "trace {");
    p = p != NULL ? strstr(p, "uuid") : NULL;
    if (p == NULL || (p = strchr(p, '"')) == NULL) {
        return -1;
    }
    for (p++, i = 0; i < 32 && *p != '"' && *p != '\0'; p++) {
        if (*p == '-') {
            continue;
        }
        if (*p >= '0' && *p <= '9') {
            k = *p - '0';
        } else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f') {
            k = (*p | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
        uuid[i / 2] = (uint8_t)(i % 2 ? (uuid[i / 2] | k) : k << 4);
        i++;
    }
    return i == 32 ? 0 : -1;
}

/*
 * Group the discovered directories into traces by their UUID: the chunks
 * of a rotated trace (archives/CHUNK/ust/...) become one trace, read by
 * one src.ctf.fs whose inputs are all of them (babeltrace2 merges them).
 * Traces come in the order of their first directory, a trace's directories
 * in discovery order; a directory whose UUID cannot be read (or a path
 * given twice) is a trace of its own.
 */
int reader__group_traces(struct reader *r)
{
    size_t n = r->npaths, i, j, k = 0, t = 0;
    uint8_t(*u)[16] = calloc(n ? n : 1, sizeof(*u));
    int *has = calloc(n ? n : 1, sizeof(*has));
    char **order = calloc(n ? n : 1, sizeof(*order));
    unsigned char *done = calloc(n ? n : 1, 1);
    int rc = 0;

    r->tfirst = calloc(n + 1, sizeof(*r->tfirst));
    if (u == NULL || has == NULL || order == NULL || done == NULL || r->tfirst == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    r->all_uuids = 1;
    for (i = 0; i < n; i++) {
        has[i] = !r->live && metadata_uuid(r->paths[i], u[i]) == 0;
        if (!has[i]) {
            r->all_uuids = 0;
        }
    }
    for (i = 0; i < n; i++) {
        if (done[i]) {
            continue;
        }
        r->tfirst[t++] = k;
        order[k++] = r->paths[i];
        done[i] = 1;
        for (j = i + 1; has[i] && j < n; j++) {
            if (done[j] || !has[j] || memcmp(u[i], u[j], 16) != 0) {
                continue;
            }
            if (strcmp(r->paths[i], r->paths[j]) == 0) {
                r->all_uuids = 0; /* two traces with one UUID: only one graph orders them */
                continue;
            }
            order[k++] = r->paths[j];
            done[j] = 1;
        }
    }
    r->tfirst[t] = n;
    r->ntraces = t;
    memcpy(r->paths, order, n * sizeof(*order));
out:
    free(u);
    free(has);
    free(order);
    free(done);
    return rc;
}

/* Every directory at or below dir that holds a regular file named metadata. */
int reader__discover(struct reader *r, const char *dir, int depth)
{
    char sub[4096];
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (depth > READER__MAX_DEPTH) {
        return 0;
    }
    d = opendir(dir);
    if (d == NULL) {
        rc = -errno;
        reader__errf(r, "%s: %s", dir, strerror(errno));
        return rc;
    }
    snprintf(sub, sizeof sub, "%s/metadata", dir);
    if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = reader__add_path(r, dir);
        closedir(d);
        return rc; /* a trace directory: its subdirectories (index/) are its own */
    }
    /* Collect, sort, recurse: a stable order of traces. */
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (nn == NULL) {
                rc = -ENOMEM;
                goto out;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        n++;
    }
    if (n > 1) {
        qsort(names, n, sizeof(*names), strcmp_ptr);
    }
    for (i = 0; i < n && rc == 0; i++) {
        if (join_path(sub, sizeof sub, dir, names[i]) < 0) {
            continue;
        }
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = reader__discover(r, sub, depth + 1);
        }
    }
out:
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    closedir(d);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Truncated stream files                                                  */

/*
 * A stream file cut mid-packet (a crashed consumer, a copy interrupted, a
 * file truncated by hand) makes src.ctf.fs refuse the whole trace. The repair:
 * a shadow directory holding links to the metadata and the intact stream
 * files, and a copy of each truncated one cut at its last complete packet.
 * Packet sizes come from the LTTng index (index/NAME.idx, big-endian
 * ctf_packet_index entries) or, without one, from LTTng's packet header
 * layout (magic at 0, packet_size in bits at byte 56, native order).
 */
#define CTF_PACKET_MAGIC 0xC1FC1FC1u
#define CTF_INDEX_MAGIC 0xC1F1DCC1u

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Bytes of complete packets at the start of the stream file, per its index; -1 if unusable. */
static int64_t complete_by_index(const char *dir, const char *name, uint64_t fsize)
{
    char path[4096];
    unsigned char hdr[16], ent[256];
    uint64_t good = 0;
    uint32_t len;
    FILE *f;

    snprintf(path, sizeof path, "%s/index/%s.idx", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || be32(hdr) != CTF_INDEX_MAGIC) {
        fclose(f);
        return -1;
    }
    len = be32(hdr + 12);
    if (len < 16 || len > sizeof ent) {
        fclose(f);
        return -1;
    }
    while (fread(ent, 1, len, f) == len) {
        uint64_t off = be64(ent), size = be64(ent + 8) / 8;
        if (off != good || size == 0 || off + size > fsize) {
            break;
        }
        good = off + size;
    }
    fclose(f);
    return (int64_t)good;
}

/* Bytes of complete packets, walking LTTng packet headers. */
static int64_t complete_by_headers(const char *path, uint64_t fsize)
{
    unsigned char h[64];
    uint64_t off = 0;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        return -1;
    }
    while (off + sizeof h <= fsize) {
        uint32_t magic;
        uint64_t bits;
        if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(h, 1, sizeof h, f) != sizeof h) {
            break;
        }
        memcpy(&magic, h, 4);
        memcpy(&bits, h + 56, 8);
        if (magic != CTF_PACKET_MAGIC || bits == 0 || bits % 8 != 0 || off + bits / 8 > fsize) {
            break;
        }
        off += bits / 8;
    }
    fclose(f);
    return (int64_t)off;
}

static int copy_prefix(const char *from, const char *to, uint64_t len)
{
    char buf[65536];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = 0;

    if (in == NULL || out == NULL) {
        rc = -errno;
    }
    while (rc == 0 && len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        size_t got = fread(buf, 1, want, in);
        if (got == 0 || fwrite(buf, 1, got, out) != got) {
            rc = -EIO;
            break;
        }
        len -= got;
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL && fclose(out) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}

int reader__add_note(struct reader *r, const char *fmt, ...)
{
    char buf[1024], **n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    n = realloc(r->notes, (r->nnotes + 1) * sizeof(*n));
    if (n == NULL) {
        return -ENOMEM;
    }
    r->notes = n;
    r->notes[r->nnotes] = strdup(buf);
    if (r->notes[r->nnotes] == NULL) {
        return -ENOMEM;
    }
    r->nnotes++;
    return 0;
}

/*
 * Make a shadow of trace directory dir with truncated stream files cut at
 * their last complete packet. 0 and *shadow (malloc'd) when something was
 * repaired, -ENOENT when nothing was truncated, other negative errno on failure.
 */
int reader__repair_trace(struct reader *r, const char *dir, char **shadow)
{
    char tmpl[4096], from[4096], to[4096];
    const char *tmpdir = getenv("TMPDIR");
    DIR *d;
    struct dirent *de;
    int repaired = 0, rc = 0;

    *shadow = NULL;
    snprintf(tmpl, sizeof tmpl, "%s/loop-analyze-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        return -errno;
    }
    d = opendir(dir);
    if (d == NULL) {
        rc = -errno;
        goto fail;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        int64_t good;

        if (de->d_name[0] == '.' || strcmp(de->d_name, "index") == 0) {
            continue;
        }
        if (join_path(from, sizeof from, dir, de->d_name) < 0) {
            continue;
        }
        if (join_path(to, sizeof to, tmpl, de->d_name) < 0) {
            continue;
        }
        if (stat(from, &st) < 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (strcmp(de->d_name, "metadata") == 0) {
            good = st.st_size;
        } else {
            good = complete_by_index(dir, de->d_name, (uint64_t)st.st_size);
            if (good < 0) {
                good = complete_by_headers(from, (uint64_t)st.st_size);
            }
        }
        if (good >= 0 && good < st.st_size) {
            rc = copy_prefix(from, to, (uint64_t)good);
            if (rc == 0) {
                repaired++;
                rc = reader__add_note(r,
                              "%s: stream file %s is truncated mid-packet: read its first %lld of "
                              "%lld bytes (its complete packets)",
                              dir, de->d_name, (long long)good, (long long)st.st_size);
            }
        } else {
            /* the link lives in $TMPDIR: its target must not be relative to the cwd */
            char abs[PATH_MAX];
            if (realpath(from, abs) == NULL || symlink(abs, to) < 0) {
                rc = -errno;
            }
        }
    }
    closedir(d);
    if (rc == 0 && repaired == 0) {
        rc = -ENOENT;
    }
    if (rc < 0) {
        goto fail;
    }
    *shadow = strdup(tmpl);
    if (*shadow == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    return 0;
fail:
    reader__remove_tree(tmpl);
    return rc;
}
