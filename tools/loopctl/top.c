/*
 * top.c — `loopctl [SOCKET|PID] top`: a refreshing terminal view of one
 * loop (the tokio-console / top analog), drawn with ncurses.
 *
 * Every refresh asks the monitor `stats`, `ps`, `slow` and `handles` over one
 * connection and parses their key=value lines (docs/monitor.md): the loop's
 * utilization, lag and counters; the tasks with state, wait target, time in
 * that state, steps and step/delay percentiles; the recent slow callbacks;
 * open handles grouped by creation site. Keys:
 *   s w i n t  sort tasks by steps, time in state (waits), id, name, step time
 *   /          filter tasks by name (substring; empty clears)
 *   up/down j k  select a task;  Enter  show `where` for it;  c  cancel it (y)
 *   + -        refresh faster/slower (default 1 s);  r  now;  q  quit
 * It never writes to the monitor but these commands and `cancel`.
 */
#include "loopctl.h"

#include <curses.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 4096
#define MAX_LINES 8192
#define FIELD 160

struct kv {
    char key[32];
    char val[FIELD];
};

struct task_row {
    unsigned long long id;
    char name[64], state[16], wait[24], obj[24], at[FIELD], created[FIELD];
    double age_ms, step_p50, step_p99, step_max, delay_p99;
    unsigned long long steps;
};

struct site_row {
    char site[FIELD], kind[16];
    unsigned n, active;
};

struct view {
    const char *path;
    int fd;
    char err[200];
    /* last reply texts */
    char *stats, *ps, *slow, *handles;
    struct task_row *tasks;
    size_t ntasks;
    struct site_row sites[64];
    size_t nsites;
    char sort;        /* s w i n t */
    char filter[64];
    unsigned long long selected; /* task id, 0 none */
    int interval_ms;
    char *detail;     /* `where` reply shown under the table, NULL none */
    char note[200];   /* the last action's result */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Send one command and read its reply (reconnecting once gone); NULL (and v->err) on failure. */
static char *ask(struct view *v, const char *cmd)
{
    char *r;

    if (v->fd < 0) {
        v->fd = loopctl_connect_quiet(v->path, v->err, sizeof v->err);
        if (v->fd < 0) {
            return NULL;
        }
    }
    r = loopctl_ask(v->fd, cmd, 3000, v->err, sizeof v->err);
    if (r == NULL) {
        close(v->fd);
        v->fd = -1;
    }
    return r;
}

/*
 * key=value fields of a line: a value is "quoted", or runs to the next
 * " key=" (sites hold spaces: at=x.c:3 (func)).
 */
static size_t parse_kv(const char *line, struct kv *out, size_t cap)
{
    size_t n = 0;
    const char *p = line;

    while (*p && n < cap) {
        const char *eq = strchr(p, '='), *k = eq, *end;
        size_t kl, vl;
        if (eq == NULL) {
            break;
        }
        while (k > p && k[-1] != ' ') {
            k--;
        }
        kl = (size_t)(eq - k);
        if (kl == 0 || kl >= sizeof out[n].key) {
            p = eq + 1;
            continue;
        }
        memcpy(out[n].key, k, kl);
        out[n].key[kl] = '\0';
        if (eq[1] == '"') {
            end = strchr(eq + 2, '"');
            end = end ? end : eq + strlen(eq);
            vl = (size_t)(end - eq - 2);
            p = *end ? end + 1 : end;
            eq++;
        } else {
            /* up to the next " word=" */
            for (end = eq + 1; *end && *end != '\n'; end++) {
                if (*end == ' ') {
                    const char *w = end + 1;
                    while (*w && *w != ' ' && *w != '=' && *w != '\n') {
                        w++;
                    }
                    if (*w == '=') {
                        break;
                    }
                }
            }
            vl = (size_t)(end - eq - 1);
            p = end;
        }
        if (vl >= FIELD) {
            vl = FIELD - 1;
        }
        memcpy(out[n].val, eq + 1, vl);
        out[n].val[vl] = '\0';
        n++;
    }
    return n;
}

static const char *get(const struct kv *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].key, key) == 0) {
            return f[i].val;
        }
    }
    return NULL;
}

/* Copy src into dst[len], cut to fit. */
static void copy(char *dst, size_t len, const char *src)
{
    size_t n = src != NULL ? strnlen(src, len - 1) : 0;

    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

static int cmp_task(const void *a, const void *b, void *arg)
{
    const struct task_row *x = a, *y = b;
    char s = *(const char *)arg;

    switch (s) {
    case 'w':
        return x->age_ms < y->age_ms ? 1 : x->age_ms > y->age_ms ? -1 : 0;
    case 'n':
        return strcmp(x->name, y->name);
    case 't':
        return x->step_p99 < y->step_p99 ? 1 : x->step_p99 > y->step_p99 ? -1 : 0;
    case 's':
        return x->steps < y->steps ? 1 : x->steps > y->steps ? -1 : 0;
    default:
        return x->id > y->id ? 1 : x->id < y->id ? -1 : 0;
    }
}

/* Parse ps and the per-task lines of stats into v->tasks; handles into v->sites. */
static void parse_all(struct view *v)
{
    struct kv f[24];
    char *save = NULL, *line, *copyps;

    v->ntasks = 0;
    copyps = v->ps ? strdup(v->ps) : NULL;
    for (line = copyps ? strtok_r(copyps, "\n", &save) : NULL; line != NULL && v->ntasks < MAX_TASKS;
         line = strtok_r(NULL, "\n", &save)) {
        size_t n;
        struct task_row *t;
        if (strncmp(line, "task ", 5) != 0) {
            continue;
        }
        n = parse_kv(line, f, 24);
        t = &v->tasks[v->ntasks++];
        memset(t, 0, sizeof(*t));
        t->id = strtoull(get(f, n, "id") ? get(f, n, "id") : "0", NULL, 10);
        copy(t->name, sizeof t->name, get(f, n, "name"));
        copy(t->state, sizeof t->state, get(f, n, "state"));
        copy(t->wait, sizeof t->wait, get(f, n, "wait"));
        copy(t->obj, sizeof t->obj, get(f, n, "obj"));
        copy(t->at, sizeof t->at, get(f, n, "at"));
        copy(t->created, sizeof t->created, get(f, n, "created"));
        t->age_ms = get(f, n, "age-ms") ? strtod(get(f, n, "age-ms"), NULL) : 0;
        t->steps = get(f, n, "steps") ? strtoull(get(f, n, "steps"), NULL, 10) : 0;
    }
    free(copyps);
    /* stats: "  ID NAME steps=N step P50 P99 MAX delay P50 P99 MAX" */
    copyps = v->stats ? strdup(v->stats) : NULL;
    for (line = copyps ? strtok_r(copyps, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long id;
        char name[64];
        double s50, s99, smax, d50, d99, dmax;
        unsigned long long steps;
        if (sscanf(line, " %llu %63s steps=%llu step %lf %lf %lf delay %lf %lf %lf", &id, name, &steps, &s50, &s99,
                   &smax, &d50, &d99, &dmax) == 9) {
            for (size_t i = 0; i < v->ntasks; i++) {
                if (v->tasks[i].id == id) {
                    v->tasks[i].step_p50 = s50;
                    v->tasks[i].step_p99 = s99;
                    v->tasks[i].step_max = smax;
                    v->tasks[i].delay_p99 = d99;
                }
            }
        }
    }
    free(copyps);
    qsort_r(v->tasks, v->ntasks, sizeof(*v->tasks), cmp_task, &v->sort);
    /* handles by (kind, creation site) */
    v->nsites = 0;
    copyps = v->handles ? strdup(v->handles) : NULL;
    for (line = copyps ? strtok_r(copyps, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save)) {
        size_t n, i;
        const char *kind, *site;
        if (strncmp(line + (line[0] ? 1 : 0), " handle ", 8) != 0) {
            continue;
        }
        n = parse_kv(line, f, 24);
        kind = get(f, n, "kind");
        site = get(f, n, "created");
        for (i = 0; i < v->nsites; i++) {
            if (strcmp(v->sites[i].kind, kind ? kind : "") == 0 && strcmp(v->sites[i].site, site ? site : "") == 0) {
                break;
            }
        }
        if (i == v->nsites) {
            if (v->nsites == sizeof v->sites / sizeof v->sites[0]) {
                continue;
            }
            memset(&v->sites[i], 0, sizeof v->sites[i]);
            copy(v->sites[i].kind, sizeof v->sites[i].kind, kind);
            copy(v->sites[i].site, sizeof v->sites[i].site, site);
            v->nsites++;
        }
        v->sites[i].n++;
        v->sites[i].active += line[0] == '*';
    }
    free(copyps);
}

static int refresh_data(struct view *v)
{
    char *s = ask(v, "stats"), *p = s ? ask(v, "ps") : NULL, *sl = p ? ask(v, "slow") : NULL;
    char *h = sl ? ask(v, "handles") : NULL;

    if (h == NULL) {
        free(s);
        free(p);
        free(sl);
        return -1;
    }
    free(v->stats);
    free(v->ps);
    free(v->slow);
    free(v->handles);
    v->stats = s;
    v->ps = p;
    v->slow = sl;
    v->handles = h;
    v->err[0] = '\0';
    parse_all(v);
    return 0;
}

/* The value of "key=" in a multi-line reply (stats), "?" if absent. */
static const char *stat_of(const char *text, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key);
    const char *p = text;

    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, " \n");
            snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p + kl + 1);
            return buf;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    snprintf(buf, len, "?");
    return buf;
}

static bool shown(const struct view *v, const struct task_row *t)
{
    return v->filter[0] == '\0' || strstr(t->name, v->filter) != NULL;
}

static void draw(struct view *v)
{
    int rows, cols, y = 0;
    char a[32], b[32], c[32], d[32], e[32], lag[128] = "";
    const char *lp;
    size_t i, nshown = 0;

    getmaxyx(stdscr, rows, cols);
    erase();
    attron(A_REVERSE);
    mvprintw(y++, 0, "%-*.*s", cols, cols, "");
    mvprintw(0, 0, " loopctl top  %s  every %.1f s  [s]teps [w]ait [i]d [n]ame [t]ime  [/]filter  Enter: where  [c]ancel  [q]uit",
             v->path, v->interval_ms / 1000.0);
    attroff(A_REVERSE);
    if (v->stats == NULL) {
        mvprintw(y + 1, 0, "%s", v->err[0] ? v->err : "connecting...");
        refresh();
        return;
    }
    lp = strstr(v->stats, "loop-lag-ms ");
    if (lp != NULL) {
        snprintf(lag, sizeof lag, "%.*s", (int)strcspn(lp + 12, "(\n"), lp + 12);
    }
    mvprintw(y++, 0, "loop %s  busy %s (utilization)  %s callbacks/s  iterations %s  lag-ms %s",
             stat_of(v->stats, "loop id", a, sizeof a), stat_of(v->stats, "busy-fraction", b, sizeof b),
             stat_of(v->stats, "callbacks-per-s", c, sizeof c), stat_of(v->stats, "iterations", d, sizeof d),
             lag[0] ? lag : "(not measured)");
    mvprintw(y++, 0, "tasks alive %s  handles open %s active %s  slow callbacks %s  stalls %s%s%s",
             stat_of(v->stats, "tasks-alive", a, sizeof a), stat_of(v->stats, "handles-open", b, sizeof b),
             stat_of(v->stats, "handles-active", c, sizeof c), stat_of(v->stats, "slow-callbacks", d, sizeof d),
             stat_of(v->stats, "stalls", e, sizeof e), v->err[0] ? "  ! " : "", v->err);
    if (v->filter[0]) {
        mvprintw(y, 0, "filter: name contains \"%s\"", v->filter);
    }
    y++;
    attron(A_BOLD);
    mvprintw(y++, 0, "%7s %-16s %-8s %-22s %10s %8s %9s %9s  %s", "ID", "NAME", "STATE", "WAITS ON", "IN STATE",
             "STEPS", "STEP p99", "DELAY p99", "SUSPENDED AT");
    attroff(A_BOLD);
    for (i = 0; i < v->ntasks; i++) {
        const struct task_row *t = &v->tasks[i];
        char w[48];
        if (!shown(v, t)) {
            continue;
        }
        nshown++;
        if (y >= rows - 10 - (v->detail ? 8 : 0)) {
            continue;
        }
        snprintf(w, sizeof w, "%s%s%s", t->wait, t->obj[0] && strcmp(t->wait, "sleep") != 0 ? " " : "",
                 strcmp(t->wait, "sleep") != 0 ? t->obj : "");
        if (t->id == v->selected) {
            attron(A_REVERSE);
        }
        mvprintw(y++, 0, "%7llu %-16.16s %-8.8s %-22.22s %8.1fms %8llu %7.1fus %7.1fus  %.*s", t->id,
                 t->name[0] ? t->name : "-", t->state, w, t->age_ms, t->steps, t->step_p99, t->delay_p99,
                 cols > 100 ? cols - 100 : 0, t->at);
        if (t->id == v->selected) {
            attroff(A_REVERSE);
        }
    }
    mvprintw(y++, 0, "(%zu of %zu tasks)", nshown, v->ntasks);
    if (v->detail != NULL) {
        int k = 0;
        char *save = NULL, *dup = strdup(v->detail), *l;
        attron(A_BOLD);
        mvprintw(y++, 0, "where %llu:", v->selected);
        attroff(A_BOLD);
        for (l = dup ? strtok_r(dup, "\n", &save) : NULL; l && k < 7 && y < rows - 6; l = strtok_r(NULL, "\n", &save), k++) {
            mvprintw(y++, 2, "%.*s", cols - 2, l);
        }
        free(dup);
    }
    attron(A_BOLD);
    mvprintw(y++, 0, "slow callbacks");
    attroff(A_BOLD);
    {
        int k = 0;
        char *save = NULL, *dup = v->slow ? strdup(v->slow) : NULL, *l;
        for (l = dup ? strtok_r(dup, "\n", &save) : NULL; l && k < 3 && y < rows - 3; l = strtok_r(NULL, "\n", &save), k++) {
            mvprintw(y++, 2, "%.*s", cols - 2, l);
        }
        free(dup);
    }
    attron(A_BOLD);
    mvprintw(y++, 0, "open handles by site (active/open)");
    attroff(A_BOLD);
    for (i = 0; i < v->nsites && y < rows - 1; i++) {
        mvprintw(y++, 2, "%3u/%-3u %-8s %.*s", v->sites[i].active, v->sites[i].n, v->sites[i].kind, cols - 20,
                 v->sites[i].site);
    }
    if (v->nsites == 0 && y < rows - 1) {
        mvprintw(y++, 2, "(none but libloop's own)");
    }
    if (v->note[0]) {
        mvprintw(rows - 1, 0, "%.*s", cols, v->note);
    }
    refresh();
}

/* Move the selection by delta among the shown tasks. */
static void select_move(struct view *v, int delta)
{
    long cur = -1, n = 0, i;
    long idx[MAX_TASKS];

    for (i = 0; i < (long)v->ntasks; i++) {
        if (shown(v, &v->tasks[i])) {
            if (v->tasks[i].id == v->selected) {
                cur = n;
            }
            idx[n++] = i;
        }
    }
    if (n == 0) {
        v->selected = 0;
        return;
    }
    cur = cur < 0 ? 0 : cur + delta;
    cur = cur < 0 ? 0 : cur >= n ? n - 1 : cur;
    v->selected = v->tasks[idx[cur]].id;
}

/* A line typed at the bottom of the screen (the filter, the confirmation). */
static void prompt(const char *what, char *buf, size_t len)
{
    int rows, cols;

    getmaxyx(stdscr, rows, cols);
    (void)cols;
    mvprintw(rows - 1, 0, "%s", what);
    clrtoeol();
    echo();
    curs_set(1);
    timeout(-1);
    getnstr(buf, (int)len - 1);
    noecho();
    curs_set(0);
}

int loopctl_top(const char *path)
{
    struct view v;
    uint64_t next = 0;
    int quit = 0;

    memset(&v, 0, sizeof v);
    v.path = path;
    v.fd = loopctl_connect_quiet(path, v.err, sizeof v.err);
    if (v.fd < 0) {
        fprintf(stderr, "loopctl: %s\n", v.err);
        return 1;
    }
    v.sort = 'i';
    v.interval_ms = 1000;
    v.tasks = calloc(MAX_TASKS, sizeof(*v.tasks));
    if (v.tasks == NULL) {
        fprintf(stderr, "loopctl: out of memory\n");
        return 1;
    }
    if (initscr() == NULL) {
        fprintf(stderr, "loopctl: top needs a terminal\n");
        return 1;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    while (!quit) {
        int ch;
        if (now_ms() >= next) {
            refresh_data(&v);
            if (v.detail != NULL && v.selected != 0) {
                char cmd[64];
                snprintf(cmd, sizeof cmd, "where %llu", v.selected);
                free(v.detail);
                v.detail = ask(&v, cmd);
            }
            next = now_ms() + (uint64_t)v.interval_ms;
        }
        draw(&v);
        timeout((int)(next > now_ms() ? next - now_ms() : 0));
        ch = getch();
        switch (ch) {
        case 'q':
        case 'Q':
            quit = 1;
            break;
        case 's':
        case 'w':
        case 'i':
        case 'n':
        case 't':
            v.sort = (char)ch;
            qsort_r(v.tasks, v.ntasks, sizeof(*v.tasks), cmp_task, &v.sort);
            break;
        case '/':
            prompt("filter by name: ", v.filter, sizeof v.filter);
            select_move(&v, 0);
            break;
        case KEY_DOWN:
        case 'j':
            select_move(&v, 1);
            break;
        case KEY_UP:
        case 'k':
            select_move(&v, -1);
            break;
        case '\n':
        case KEY_ENTER:
            if (v.selected != 0) {
                char cmd[64];
                snprintf(cmd, sizeof cmd, "where %llu", v.selected);
                free(v.detail);
                v.detail = ask(&v, cmd);
            }
            break;
        case 27: /* Esc: close the detail */
            free(v.detail);
            v.detail = NULL;
            break;
        case 'c':
            if (v.selected != 0) {
                char yes[8] = "", cmd[64];
                char q[96];
                snprintf(q, sizeof q, "cancel task %llu? (y/n) ", v.selected);
                prompt(q, yes, sizeof yes);
                if (yes[0] == 'y' || yes[0] == 'Y') {
                    char *r;
                    snprintf(cmd, sizeof cmd, "cancel %llu", v.selected);
                    r = ask(&v, cmd);
                    snprintf(v.note, sizeof v.note, "%s", r ? r : v.err);
                    v.note[strcspn(v.note, "\n")] = '\0';
                    free(r);
                    next = 0;
                }
            }
            break;
        case '+':
            v.interval_ms = v.interval_ms > 200 ? v.interval_ms / 2 : 100;
            next = 0;
            break;
        case '-':
            v.interval_ms = v.interval_ms < 16000 ? v.interval_ms * 2 : 32000;
            break;
        case 'r':
            next = 0;
            break;
        default:
            break;
        }
    }
    endwin();
    if (v.fd >= 0) {
        close(v.fd);
    }
    free(v.stats);
    free(v.ps);
    free(v.slow);
    free(v.handles);
    free(v.detail);
    free(v.tasks);
    return 0;
}
