/*
 * flame.c — flame graphs from folded stacks ("a;b;c weight" lines, the
 * format of `loop-analyze profile --folded`): a self-contained SVG (no
 * script, no network: each frame's <title> shows its time and share on
 * hover), and the speedscope file format (https://www.speedscope.app, a
 * "sampled" profile whose weights are nanoseconds), which speedscope opens
 * as is.
 *
 * The stacks are merged into a tree (children sorted by name, as
 * flamegraph.pl does, so the same profile always draws the same picture).
 */
#include "flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SVG_W 1200
#define FRAME_H 17
#define MIN_PX 0.3 /* frames narrower than this are not drawn */

struct fnode {
    char *name;
    uint64_t total;
    struct fnode *child, *next;
};

static struct fnode *fnode_new(const char *name, size_t len)
{
    struct fnode *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        return NULL;
    }
    n->name = strndup(name, len);
    if (n->name == NULL) {
        free(n);
        return NULL;
    }
    return n;
}

static void fnode_free(struct fnode *n)
{
    while (n != NULL) {
        struct fnode *nx = n->next;
        fnode_free(n->child);
        free(n->name);
        free(n);
        n = nx;
    }
}

/* The child of p named name[0..len), created in name order if missing. */
static struct fnode *child_of(struct fnode *p, const char *name, size_t len)
{
    struct fnode **pp = &p->child, *n;

    for (; *pp != NULL; pp = &(*pp)->next) {
        int c = strncmp((*pp)->name, name, len);
        if (c == 0 && (*pp)->name[len] == '\0') {
            return *pp;
        }
        if (c > 0 || (c == 0 && (*pp)->name[len] != '\0')) {
            break;
        }
    }
    n = fnode_new(name, len);
    if (n != NULL) {
        n->next = *pp;
        *pp = n;
    }
    return n;
}

static int parse(const char *folded, struct fnode *root)
{
    const char *line = folded;

    while (*line) {
        const char *eol = strchr(line, '\n'), *sp, *a;
        uint64_t w;
        struct fnode *n = root;
        if (eol == NULL) {
            eol = line + strlen(line);
        }
        for (sp = eol; sp > line && sp[-1] != ' '; sp--) {
        }
        if (sp > line) {
            char *end;
            w = strtoull(sp, &end, 10);
            if (end == eol || *end == '\n') {
                root->total += w;
                for (a = line; a < sp - 1;) {
                    const char *b = memchr(a, ';', (size_t)(sp - 1 - a));
                    size_t len = b != NULL ? (size_t)(b - a) : (size_t)(sp - 1 - a);
                    n = child_of(n, a, len);
                    if (n == NULL) {
                        return -ENOMEM;
                    }
                    n->total += w;
                    a += len + (b != NULL);
                }
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return 0;
}

static int depth_of(const struct fnode *n)
{
    int d = 0;

    for (; n != NULL; n = n->next) {
        int c = 1 + depth_of(n->child);
        d = c > d ? c : d;
    }
    return d;
}

/* A warm colour from the name, stable across runs. */
static void color_of(const char *name, int wait, char *buf, size_t len)
{
    uint32_t h = 2166136261u;

    for (; *name; name++) {
        h = (h ^ (uint8_t)*name) * 16777619u;
    }
    if (wait) { /* blues for waiting time */
        snprintf(buf, len, "rgb(%u,%u,%u)", 80 + h % 60, 130 + (h >> 8) % 70, 200 + (h >> 16) % 55);
    } else {
        snprintf(buf, len, "rgb(%u,%u,%u)", 205 + h % 50, 80 + (h >> 8) % 130, 30 + (h >> 16) % 50);
    }
}

static void svg_frames(FILE *f, const struct fnode *n, double x, int depth, int maxdepth, double scale,
                       uint64_t all, int wait)
{
    char col[48], db[32];

    for (; n != NULL; n = n->next) {
        double w = (double)n->total * scale;
        if (w >= MIN_PX) {
            int y = (maxdepth - depth) * FRAME_H + 30;
            size_t fit = (size_t)(w / 7.0);
            color_of(n->name, wait, col, sizeof col);
            fprintf(f, "<g><title>");
            markup_escape(f, n->name);
            fprintf(f, " (%s, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
                    fmt_dur(db, sizeof db, n->total), all ? 100.0 * (double)n->total / (double)all : 0.0, x + 10, y,
                    w > 0.5 ? w - 0.5 : w, FRAME_H - 1, col);
            if (fit >= 3) {
                char *label = strndup(n->name, fit);
                if (label != NULL) {
                    if (strlen(n->name) > fit && fit >= 3) {
                        strcpy(label + fit - 2, "..");
                    }
                    fprintf(f, "<text x=\"%.2f\" y=\"%d\">", x + 13, y + FRAME_H - 5);
                    markup_escape(f, label);
                    fprintf(f, "</text>");
                    free(label);
                }
            }
            fprintf(f, "</g>\n");
            svg_frames(f, n->child, x, depth + 1, maxdepth, scale, all, wait);
        }
        x += w;
    }
}

int flame_svg(const char *folded, FILE *out, const char *title, int wait)
{
    struct fnode root = {0};
    int rc = parse(folded, &root), maxdepth, h;
    char db[32];

    if (rc < 0) {
        fnode_free(root.child);
        return rc;
    }
    maxdepth = depth_of(root.child);
    h = (maxdepth + 1) * FRAME_H + 40;
    fprintf(out,
            "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">\n"
            "<style>text{font:12px monospace;fill:#000;pointer-events:none}rect:hover{stroke:#000;stroke-width:1}</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n<text x=\"10\" y=\"20\" style=\"font-size:15px\">",
            SVG_W + 20, h);
    markup_escape(out, title);
    fprintf(out, " — %s in all</text>\n", fmt_dur(db, sizeof db, root.total));
    if (root.total > 0) {
        svg_frames(out, root.child, 0, 0, maxdepth - 1, (double)SVG_W / (double)root.total, root.total, wait);
    } else {
        fprintf(out, "<text x=\"10\" y=\"50\">(nothing to show)</text>\n");
    }
    fprintf(out, "</svg>\n");
    fnode_free(root.child);
    return 0;
}

/* speedscope: one frame table, then each stack as a sample weighted by its nanoseconds. */
int flame_speedscope(const char *folded, FILE *out, const char *name)
{
    struct strtab frames;
    const char *line = folded;
    uint64_t total = 0;
    int first = 1, rc = 0;
    size_t i;

    if (strtab_init(&frames) < 0) {
        return -ENOMEM;
    }
    /* pass 1: the frame names (index - 1 in the file: strtab's 0 is "") */
    while (*line) {
        const char *eol = strchr(line, '\n'), *sp, *a;
        if (eol == NULL) {
            eol = line + strlen(line);
        }
        for (sp = eol; sp > line && sp[-1] != ' '; sp--) {
        }
        for (a = line; sp > line && a < sp - 1;) {
            const char *b = memchr(a, ';', (size_t)(sp - 1 - a));
            size_t len = b != NULL ? (size_t)(b - a) : (size_t)(sp - 1 - a);
            char *fr = strndup(a, len);
            if (fr == NULL || strtab_intern(&frames, fr[0] ? fr : "?") < 0) {
                free(fr);
                rc = -ENOMEM;
                goto out;
            }
            free(fr);
            a += len + (b != NULL);
        }
        line = *eol ? eol + 1 : eol;
    }
    fprintf(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"loop-analyze\","
                 "\"name\":");
    json_escape(out, name);
    fprintf(out, ",\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    for (i = 1; i < frames.len; i++) {
        fprintf(out, "%s{\"name\":", i > 1 ? "," : "");
        json_escape(out, strtab_str(&frames, (uint32_t)i));
        fputc('}', out);
    }
    fprintf(out, "]},\"profiles\":[{\"type\":\"sampled\",\"name\":");
    json_escape(out, name);
    fprintf(out, ",\"unit\":\"nanoseconds\",\"startValue\":0,\"samples\":[");
    /* pass 2: samples, then weights */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            fprintf(out, "],\"weights\":[");
            first = 1;
        }
        for (line = folded; *line;) {
            const char *eol = strchr(line, '\n'), *sp, *a;
            if (eol == NULL) {
                eol = line + strlen(line);
            }
            for (sp = eol; sp > line && sp[-1] != ' '; sp--) {
            }
            if (sp > line + 1) {
                uint64_t w = strtoull(sp, NULL, 10);
                if (pass == 1) {
                    fprintf(out, "%s%" PRIu64, first ? "" : ",", w);
                    total += w;
                } else {
                    int ff = 1;
                    fprintf(out, "%s[", first ? "" : ",");
                    for (a = line; a < sp - 1;) {
                        const char *b = memchr(a, ';', (size_t)(sp - 1 - a));
                        size_t len = b != NULL ? (size_t)(b - a) : (size_t)(sp - 1 - a);
                        char *fr = strndup(a, len);
                        int64_t ix = fr != NULL ? strtab_intern(&frames, fr[0] ? fr : "?") : -ENOMEM;
                        free(fr);
                        if (ix < 0) {
                            rc = -ENOMEM;
                            goto out;
                        }
                        fprintf(out, "%s%" PRId64, ff ? "" : ",", ix - 1);
                        ff = 0;
                        a += len + (b != NULL);
                    }
                    fputc(']', out);
                }
                first = 0;
            }
            line = *eol ? eol + 1 : eol;
        }
    }
    fprintf(out, "],\"endValue\":%" PRIu64 "}]}\n", total);
out:
    strtab_free(&frames);
    return rc;
}
