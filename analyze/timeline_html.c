/*
 * timeline_html.c — `loop-analyze timeline --html FILE`: one self-contained
 * page (no network) that draws every row of the trace on a canvas.
 *
 * The page holds the data (rows, each row's intervals, the findings) as one
 * JSON document and the viewer (timeline_view.js, compiled in): zoom and
 * pan, a time axis, virtualized rows (only the visible ones are drawn, so a
 * hundred thousand rows stay smooth), per pixel the state that took most of
 * its time, findings marked on their rows and listed in a side panel, hover
 * details, spawn and wakeup arrows on demand. --from/--to cut a window.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "timeline_view.h" /* generated from timeline_view.js: TIMELINE_VIEW_JS */

/* A JSON string that is also safe inside <script>: no "</", no "<!--". */
static void js_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
            fprintf(f, "\\u%04x", ch);
        } else {
            fputc(ch, f);
        }
    }
    fputc('"', f);
}

/* The state code the viewer draws: P_* for tasks; on a loop row 4 is a callback, 1 polling. */
static int code_of(const struct ival *v)
{
    return prio_of(v);
}

static int write_data(FILE *f, const struct ctx *c, const struct tl *t, uint64_t t0, uint64_t t1)
{
    const struct model *m = c->m;
    struct strtab labels;
    char lb[512], sb[256];
    size_t r, i, n;
    int64_t li;
    int rc = 0;

    if (strtab_init(&labels) < 0) {
        return -ENOMEM;
    }
    fprintf(f, "{\"title\":");
    lb[0] = '\0';
    for (i = 0; i < c->ninputs; i++) {
        size_t used = strlen(lb);
        snprintf(lb + used, sizeof lb - used, "%s%s", i ? " " : "", c->inputs[i]);
    }
    js_str(f, lb);
    fprintf(f, ",\"events\":%" PRIu64 ",\"origin\":%.9f,\"span\":%" PRIu64 ",\"rows\":[", m->events,
            model_rel_s(m, t0), t1 - t0);
    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        size_t p = row->type == ROW_TASK && row->parent ? tl_row_of(t, row->vpid, row->loop_id, row->parent) : SIZE_MAX;
        fprintf(f, "%s[", r ? "," : "");
        js_str(f, row_label(c, row, lb, sizeof lb));
        fputc(',', f);
        js_str(f, row->type == ROW_LOOP ? "" : model_site_str(m, row->site, sb, sizeof sb));
        fprintf(f, ",%d,%" PRId64 ",%" PRIu64 ",%" PRIu64 "]", row->type == ROW_LOOP, p == SIZE_MAX ? (int64_t)-1 : (int64_t)p,
                row->loop_id, row->vpid < 0 ? 0 : (uint64_t)row->vpid);
    }
    /* per row: flat [start, duration, state, label, waker row] from the window's start, in ns */
    fprintf(f, "],\n\"iv\":[");
    for (r = 0; r < m->nrows; r++) {
        int first = 1;
        fprintf(f, "%s\n[", r ? "," : "");
        for (i = t->first[r]; t->first[r] != SIZE_MAX && i < m->nivals && m->ivals[t->order[i]].row == r; i++) {
            const struct ival *v = &m->ivals[t->order[i]];
            const struct trow *row = &m->rows[r];
            uint64_t a = v->start > t0 ? v->start : t0, b = v->end < t1 ? v->end : t1;
            size_t waker = SIZE_MAX;
            if (v->end < t0 || v->start > t1 || code_of(v) == P_NONE) {
                continue;
            }
            li = strtab_intern(&labels, ival_label(c, v, lb, sizeof lb));
            if (li < 0) {
                rc = -ENOMEM;
                goto out;
            }
            if (v->state == IV_READY && v->kind == KIND_TASK && v->obj != 0 && v->obj != row->id) {
                waker = tl_row_of(t, row->vpid, row->loop_id, v->obj);
            }
            fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%d,%" PRId64 ",%" PRId64, first ? "" : ",", a - t0, b - a,
                    code_of(v), li, waker == SIZE_MAX ? (int64_t)-1 : (int64_t)waker);
            first = 0;
        }
        fputc(']', f);
    }
    fprintf(f, "],\n\"labels\":[");
    for (i = 0; i < labels.len; i++) {
        if (i) {
            fputc(',', f);
        }
        js_str(f, strtab_str(&labels, (uint32_t)i));
    }
    fprintf(f, "],\n\"marks\":[");
    for (i = 0, n = 0; i < t->nmarks; i++) {
        const struct mark *k = &t->marks[i];
        uint64_t a = k->ts > t0 ? k->ts : t0;
        if (k->ts > t1 || k->ts + k->dur_ns < t0) {
            continue;
        }
        fprintf(f, "%s[%zu,%" PRIu64 ",%" PRIu64 ",", n++ ? "," : "", k->row, a - t0, k->dur_ns);
        js_str(f, mark_kind_name(k->kind));
        fputc(',', f);
        js_str(f, k->text);
        fputc(']', f);
    }
    fprintf(f, "]}");
out:
    strtab_free(&labels);
    return rc;
}

int timeline_html(const struct ctx *c, const struct tl *t, const char *path)
{
    FILE *f = fopen(path, "w");
    uint64_t t0, t1;
    size_t i;
    int rc;

    if (f == NULL) {
        return -errno;
    }
    tl_window(c, &t0, &t1);
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>libloop timeline: ");
    for (i = 0; i < c->ninputs; i++) {
        markup_escape(f, c->inputs[i]);
        fputc(' ', f);
    }
    fprintf(f, "</title>\n</head><body>\n<script type=\"application/json\" id=\"tl-data\">");
    rc = write_data(f, c, t, t0, t1);
    fprintf(f, "</script>\n<script>\n%s</script>\n</body></html>\n", TIMELINE_VIEW_JS);
    if (fclose(f) != 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
}
