/*
 * reader_live.c — is an lttng-live session there? For the one-line error of
 * a live read that delivered nothing: the relay daemon is asked for its
 * sessions (babeltrace2's "sessions" query of source.ctf.lttng-live), so a
 * misspelt session or host name is said as such rather than as "no libloop
 * events".
 */
#include "reader.h"

#include <babeltrace2/babeltrace.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* URL: net[46]://HOST[:PORT]/host/HOSTNAME/SESSION → base "net://HOST[:PORT]", HOSTNAME, SESSION. */
static int split_url(const char *url, char *base, size_t blen, char *hostname, size_t hlen, char *session,
                     size_t slen)
{
    const char *p = strstr(url, "://"), *slash, *h, *s;

    if (p == NULL) {
        return -EINVAL;
    }
    slash = strchr(p + 3, '/');
    if (slash == NULL || strncmp(slash, "/host/", 6) != 0) {
        return -EINVAL;
    }
    h = slash + 6;
    s = strchr(h, '/');
    if (s == NULL || s == h || s[1] == '\0' || strchr(s + 1, '/') != NULL) {
        return -EINVAL;
    }
    snprintf(base, blen, "%.*s", (int)(slash - url), url);
    snprintf(hostname, hlen, "%.*s", (int)(s - h), h);
    snprintf(session, slen, "%s", s + 1);
    return 0;
}

int reader_live_check(const char *url, char *msg, size_t len)
{
    char base[512], hostname[256], session[256], other[256] = "";
    const bt_plugin *ctf = NULL;
    const bt_component_class_source *cls;
    bt_query_executor *q = NULL;
    const bt_value *res = NULL;
    bt_value *params = NULL;
    int rc = -EIO, host_seen = 0;
    uint64_t i, n;

    msg[0] = '\0';
    if (split_url(url, base, sizeof base, hostname, sizeof hostname, session, sizeof session) < 0) {
        snprintf(msg, len, "%s: not an lttng-live URL (net://HOST[:PORT]/host/HOSTNAME/SESSION)", url);
        return -EINVAL;
    }
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &ctf) != BT_PLUGIN_FIND_STATUS_OK ||
        (cls = bt_plugin_borrow_source_component_class_by_name_const(ctf, "lttng-live")) == NULL) {
        snprintf(msg, len, "babeltrace2 has no source.ctf.lttng-live component class");
        goto out;
    }
    params = bt_value_map_create();
    if (params == NULL || bt_value_map_insert_string_entry(params, "url", base) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
        rc = -ENOMEM;
        goto out;
    }
    q = bt_query_executor_create(bt_component_class_source_as_component_class_const(cls), "sessions", params);
    if (q == NULL || bt_query_executor_query(q, &res) != BT_QUERY_EXECUTOR_QUERY_STATUS_OK || res == NULL ||
        !bt_value_is_array(res)) {
        bt_current_thread_clear_error();
        snprintf(msg, len, "%s: the relay daemon at %s does not answer (is lttng-relayd running with its live port there?)",
                 url, base);
        goto out;
    }
    n = bt_value_array_get_length(res);
    for (i = 0; i < n; i++) {
        const bt_value *e = bt_value_array_borrow_element_by_index_const(res, i);
        const bt_value *hv = bt_value_is_map(e) ? bt_value_map_borrow_entry_value_const(e, "target-hostname") : NULL;
        const bt_value *sv = bt_value_is_map(e) ? bt_value_map_borrow_entry_value_const(e, "session-name") : NULL;
        const char *hs = hv != NULL && bt_value_is_string(hv) ? bt_value_string_get(hv) : "";
        const char *ss = sv != NULL && bt_value_is_string(sv) ? bt_value_string_get(sv) : "";
        if (strcmp(hs, hostname) == 0) {
            host_seen = 1;
            if (strcmp(ss, session) == 0) {
                rc = 0;
                goto out;
            }
        }
        if (other[0] == '\0') {
            snprintf(other, sizeof other, "host/%.100s/%.100s%s", hs, ss, n > 1 ? ", ..." : "");
        }
    }
    rc = -ENOENT;
    if (n == 0) {
        snprintf(msg, len, "%s: no session \"%s\" of host \"%s\": the relay daemon at %s has no session at all",
                 url, session, hostname, base);
    } else if (!host_seen) {
        snprintf(msg, len, "%s: no session of host \"%s\" at the relay daemon %s (it has %s)", url, hostname,
                 base, other);
    } else {
        snprintf(msg, len, "%s: no session \"%s\" of host \"%s\" at the relay daemon %s (it has %s)", url,
                 session, hostname, base, other);
    }
out:
    bt_value_put_ref(res);
    bt_query_executor_put_ref(q);
    bt_value_put_ref(params);
    bt_plugin_put_ref(ctf);
    return rc;
}
