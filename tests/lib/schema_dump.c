/*
 * schema_dump.c — prints the schema of the "libloop" provider as the compiled
 * probe declares it: the format version, every event with its fields in
 * order (name and type) and every enumeration with its labels. Built and run
 * by tests/schema_check.sh, which compares this with the reader's event
 * table, docs/trace-format.md and tracecompass/libloop.xml.
 *
 * It compiles tracepoints/libloop_tp.h with LTTNG_UST_TRACEPOINT_CREATE_PROBES,
 * as the probe object does (so with -Itracepoints only: the provider is a
 * leaf), and walks the probe descriptor LTTng-UST registers. Output, one item
 * a line:
 *   format VERSION MINOR
 *   event NAME
 *   field EVENT NAME TYPE     TYPE: uint8..int64 (with -hex when printed in
 *                             hex), string, enum:ENUM:INT, sequence:TYPE or
 *                             arrayN:TYPE (a sequence's length is the field
 *                             before it, _NAME_length)
 *   enum NAME LABEL=VALUE...
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "libloop_tp.h"

#include <stdio.h>
#include <string.h>

#define MAX_ENUMS 32

static const struct lttng_ust_enum_desc *enums[MAX_ENUMS];
static unsigned nenums;

static void print_int(const struct lttng_ust_type_common *t)
{
    const struct lttng_ust_type_integer *it = (const struct lttng_ust_type_integer *)t;

    printf("%s%u%s", it->signedness ? "int" : "uint", it->size, it->base == 16 ? "-hex" : "");
}

static int print_type(const struct lttng_ust_type_common *t)
{
    /* sequences and arrays recurse into their element type */
    const struct lttng_ust_type_enum *et;
    unsigned i;

    switch (t->type) {
    case lttng_ust_type_integer:
        print_int(t);
        return 0;
    case lttng_ust_type_string:
        printf("string");
        return 0;
    case lttng_ust_type_enum:
        et = (const struct lttng_ust_type_enum *)t;
        printf("enum:%s:", et->desc->name);
        print_int(et->container_type);
        for (i = 0; i < nenums && enums[i] != et->desc; i++) {
        }
        if (i == nenums && nenums < MAX_ENUMS) {
            enums[nenums++] = et->desc;
        }
        return 0;
    case lttng_ust_type_sequence:
        printf("sequence:");
        return print_type(((const struct lttng_ust_type_sequence *)t)->elem_type);
    case lttng_ust_type_array:
        printf("array%u:", ((const struct lttng_ust_type_array *)t)->length);
        return print_type(((const struct lttng_ust_type_array *)t)->elem_type);
    default:
        printf("type%d", (int)t->type);
        return -1;
    }
}

int main(void)
{
    const struct lttng_ust_probe_desc *p = &lttng_ust__probe_desc___libloop;
    unsigned i, j;
    size_t f;

    printf("format %d %d\n", LOOP_TRACE_FORMAT_VERSION, LOOP_TRACE_FORMAT_MINOR);
    for (i = 0; i < p->nr_events; i++) {
        const struct lttng_ust_event_desc *ev = p->event_desc[i];
        const struct lttng_ust_tracepoint_class *c = ev->tp_class;

        printf("event %s\n", ev->event_name);
        for (f = 0; f < c->nr_fields; f++) {
            printf("field %s %s ", ev->event_name, c->fields[f]->name);
            print_type(c->fields[f]->type);
            printf("\n");
        }
    }
    for (i = 0; i < nenums; i++) {
        printf("enum %s", enums[i]->name);
        for (j = 0; j < enums[i]->nr_entries; j++) {
            const struct lttng_ust_enum_entry *e = enums[i]->entries[j];

            printf(" %s=%llu", e->string, e->start.value);
        }
        printf("\n");
    }
    return fflush(stdout) != 0;
}
