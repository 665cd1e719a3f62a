"""schema_check.py — the trace schema has one definition: the provider
tracepoints/libloop_tp.h, as the compiled probe declares it (the output of
tests/lib/schema_dump.c). Everything else that spells the schema is checked
against it:

  reader/names.c       the event names (both ways) and the enumerations'
                       labels in value order;
  reader/reader.h      READER_FORMAT_VERSION is the provider's format version;
  reader/decode.c      every field of every event is in the decoder's field
                       table with a matching width, and every name in the
                       table is a field of some event (or listed as legacy);
  docs/trace-format.md every event has a heading; every field a table names
                       is a field of the section's events, with the table's
                       type; every field is mentioned in its event's section
                       (or that section points to another event's fields);
                       the enumeration tables list the provider's labels
                       and values; the format version it states;
  tracecompass/libloop.xml  every event it reads exists with every payload
                       field it reads; labels it compares are enumeration
                       labels.

Usage: schema_check.py DUMP   (run from the repository root)
Prints one line per disagreement and exits 1, or one summary line.
"""
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, "tests/lib")
import tc_xml  # noqa: E402

NAMES, READER_H, READER_C = "reader/names.c", "reader/reader.h", "reader/decode.c"
DOC, XML = "docs/trace-format.md", "tracecompass/libloop.xml"
# Names the decoder accepts that the current provider does not emit, and why.
LEGACY_FIELDS = {
    "owner_task": "an older spelling of wait_task (docs/analyze.md)",
}
# struct event (reader/reader.h) holds scalars: a sequence field is decoded
# only where the decoder names it. Those it leaves out on purpose, and why
# (entries for events the provider does not have are ignored).
NOT_DECODED = {
    ("loop_stuck", "task_ids"): "loop-analyze finds the stuck tasks in its model; count is decoded",
}
# reader/names.c's enumeration tables, by the provider's enumeration name.
NAME_TABLES = {"kind": "kind_names", "task_state": "state_names", "wait_kind": "wait_names",
               "sync_kind": "sync_names", "io_op": "io_op_names"}
# The decoder's destinations and the field types each takes.
DEST_TYPES = {"D_U8": {"uint8", "uint8-hex"}, "D_U16": {"uint16"}, "D_I32": {"int32"},
              "D_U64": {"uint64", "int64"}, "D_STR": {"string"}}
# The doc's spelling of a type, as the dump prints it.
# (a sequence of T is written "T[]" or "sequence of T")
DOC_TYPES = {"uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
             "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
             "string": "string", "uint8 (hex)": "uint8-hex"}
COMMON = {"loop_id"}  # "Every event below carries loop_id first"

problems = []


def problem(msg):
    if msg not in problems:
        problems.append(msg)


def read_dump(path):
    fmt, events, enums = None, {}, {}
    for line in open(path, encoding="utf-8"):
        w = line.split()
        if not w:
            continue
        if w[0] == "format":
            fmt = (int(w[1]), int(w[2]))
        elif w[0] == "event":
            events[w[1]] = []
        elif w[0] == "field":
            typ = w[3]
            if typ.startswith("enum:"):
                typ = "enum:" + typ.split(":")[1].replace("libloop_", "", 1)
            if w[2].startswith("_"):
                continue  # LTTng's own: a sequence's length field (_NAME_length)
            events[w[1]].append((w[2], typ))
        elif w[0] == "enum":
            enums[w[1].replace("libloop_", "", 1)] = [(l.split("=")[0], int(l.split("=")[1]))
                                                      for l in w[2:]]
    if fmt is None or not events:
        sys.exit("schema_check: cannot read the schema dump %s" % path)
    return fmt, events, enums


def c_string_table(text, name):
    m = re.search(r"\b%s\[[^\]]*\]\s*=\s*\{(.*?)\};" % re.escape(name), text, re.S)
    if not m:
        problem("%s: no table %s" % (NAMES, name))
        return None
    return re.findall(r'"([^"]*)"', m.group(1))


def check_reader(fmt, events, enums):
    names = open(NAMES, encoding="utf-8").read()
    m = re.search(r"type_names\[[^\]]*\]\s*=\s*\{(.*?)\};", names, re.S)
    table = re.findall(r'\[(EV_\w+)\]\s*=\s*"([a-z_]+)"', m.group(1)) if m else []
    if not table:
        problem("%s: cannot read type_names" % NAMES)
    have = {n for _, n in table}
    for ev in events:
        if ev not in have:
            problem("%s: the provider's event %s has no EV_ type in type_names" % (NAMES, ev))
    for sym, n in table:
        if n not in events:
            problem("%s: type_names has %s = \"%s\", not an event of the provider" % (NAMES, sym, n))
    for enum, var in NAME_TABLES.items():
        got = c_string_table(names, var)
        want = enums.get(enum)
        if got is None:
            continue
        if want is None:
            problem("the provider has no enumeration %s (%s has %s)" % (enum, NAMES, var))
            continue
        if [v for _, v in want] != list(range(len(want))):
            problem("the provider's enumeration %s is not 0..n-1; %s indexes %s by value"
                    % (enum, NAMES, var))
        if got != [l for l, _ in want]:
            problem("%s: %s is %s; the provider's %s labels are %s"
                    % (NAMES, var, got, enum, [l for l, _ in want]))
    m = re.search(r"#define\s+READER_FORMAT_VERSION\s+(\d+)", open(READER_H).read())
    if not m or int(m.group(1)) != fmt[0]:
        problem("%s: READER_FORMAT_VERSION is %s; the provider writes format_version %d"
                % (READER_H, m.group(1) if m else "missing", fmt[0]))
    decoder = open(READER_C, encoding="utf-8").read()
    fm = dict((n, d) for n, d in re.findall(r'FM\("(\w+)",\s*[\w.]+,\s*(D_\w+)\)', decoder))
    if not fm:
        problem("%s: cannot read the field table (FM(...) lines)" % READER_C)
        return
    all_fields = {}
    for ev, fields in events.items():
        for name, typ in fields:
            all_fields.setdefault(name, set()).add(typ)
            base = "uint8" if typ.startswith("enum:") else typ
            if typ.startswith(("sequence:", "array")):
                if (ev, name) not in NOT_DECODED and not re.search(r'"%s"' % name, decoder):
                    problem("%s: %s (a %s of %s) is never named: the reader would drop it"
                            % (READER_C, name, typ, ev))
            elif name not in fm:
                problem("%s: the field table has no %s (a field of %s): the reader would drop it"
                        % (READER_C, name, ev))
            elif base not in DEST_TYPES.get(fm[name], ()):
                problem("%s: %s is read as %s, but %s.%s is %s" % (READER_C, name, fm[name], ev, name, typ))
    for name in fm:
        if name not in all_fields and name not in LEGACY_FIELDS:
            problem("%s: the field table reads %s, which no event of the provider has"
                    % (READER_C, name))


def doc_sections(lines):
    """[(events, first line, lines)] of the '#### `a` / `b` — ...' sections."""
    out, cur = [], None
    for i, line in enumerate(lines):
        if line.startswith("#"):
            cur = None
            if line.startswith("#### "):
                head = line[5:].split(" — ")[0]
                cur = (re.findall(r"`([a-z_]+)`", head), i + 1, [])
                out.append(cur)
            continue
        if cur is not None:
            cur[2].append(line)
    return out


def table_rows(lines):
    header, rows = None, []
    for line in lines:
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            rows.append(dict(zip(header, cells)))
    return rows


def check_doc(fmt, events, enums):
    lines = open(DOC, encoding="utf-8").read().split("\n")
    sections = doc_sections(lines)
    documented = {}
    for evs, at, body in sections:
        for ev in evs:
            documented.setdefault(ev, (evs, at, body))
    for ev in events:
        if ev not in documented:
            problem("%s: no '#### `%s`' section" % (DOC, ev))
    for evs, at, body in sections:
        where = "%s:%d" % (DOC, at)
        unknown = [e for e in evs if e not in events]
        if unknown:
            problem("%s: documents %s, not an event of the provider" % (where, ", ".join(unknown)))
        evs = [e for e in evs if e in events]
        if not evs:
            continue
        text = "\n".join(body)
        # The fields the section's tables name, with their type.
        for row in table_rows(body):
            first = row.get("field", "")
            m = re.fullmatch(r"((?:`\w+`(?:,\s*)?)+)(?:\s*\(`(\w+)`\))?", first)
            if not m:
                problem("%s: cannot read the field cell %r" % (where, first))
                continue
            names = re.findall(r"`(\w+)`", m.group(1))
            targets = [m.group(2)] if m.group(2) else evs
            if m.group(2) and m.group(2) not in evs:
                problem("%s: (`%s`) is not an event of this section" % (where, m.group(2)))
                continue
            typ = row.get("type", "").strip()
            types = [t.strip() for t in typ.split(",")] if typ else []
            if len(types) == 1 and len(names) > 1:
                types = types * len(names)
            for k, name in enumerate(names):
                for ev in targets:
                    got = dict(events[ev]).get(name)
                    if got is None:
                        problem("%s: the table names %s, which %s does not have" % (where, name, ev))
                        continue
                    if k < len(types) and types[k]:
                        want = types[k]
                        em = re.fullmatch(r"enum `(\w+)`", want)
                        sm = re.fullmatch(r"(\w+)\[\]|sequence of (\w+)", want)
                        if em:
                            want = "enum:" + em.group(1)
                        elif sm:
                            elem = sm.group(1) or sm.group(2)
                            want = "sequence:" + DOC_TYPES.get(elem, elem)
                        else:
                            want = DOC_TYPES.get(want, want)
                        if want != got:
                            problem("%s: %s.%s is documented as %r, the provider says %s"
                                    % (where, ev, name, types[k], got))
        # Every field is mentioned, here or in the event this section points to.
        mentioned = set(re.findall(r"`(\w+)`", text))
        for ref in re.findall(r"(?:fields of|as in) `(\w+)`", text):
            if ref in events:
                mentioned |= {n for n, _ in events[ref]}
        for ev in evs:
            for name, _ in events[ev]:
                if name not in mentioned and name not in COMMON:
                    problem("%s: %s.%s is not documented in its section" % (where, ev, name))
    # The enumeration tables: "| enum (`NAME`, uint8) | value |" with rows, or
    # a row of labels and a row of values; side-by-side tables share rows.
    for i, line in enumerate(lines):
        heads = [(k, m.group(1)) for k, m in
                 ((k, re.fullmatch(r"enum \(`(\w+)`, \w+\)", c.strip()))
                  for k, c in enumerate(line.strip().strip("|").split("|"))) if m]
        if not heads or not line.startswith("|"):
            continue
        rows = []
        for row in lines[i + 2:]:
            if not row.startswith("|"):
                break
            rows.append([c.strip() for c in row.strip().strip("|").split("|")])
        for col, name in heads:
            got = []
            for cells in rows:
                if col + 1 >= len(cells) or not cells[col]:
                    continue
                labels = re.findall(r"`(\w+)`", cells[col])
                values = cells[col + 1].split()
                if len(labels) != len(values) or not all(v.isdigit() for v in values):
                    problem("%s:%d: cannot read the %s row %r" % (DOC, i + 1, name, cells))
                    continue
                got += list(zip(labels, map(int, values)))
            if name not in enums:
                problem("%s:%d: the provider has no enumeration %s" % (DOC, i + 1, name))
            elif got != enums[name]:
                problem("%s:%d: enumeration %s is %s; the provider's is %s"
                        % (DOC, i + 1, name, got, enums[name]))
    for name in enums:
        if not re.search(r"\| enum \(`%s`," % name, "\n".join(lines)):
            problem("%s: no table of the enumeration %s" % (DOC, name))
    m = re.search(r"`format_version` \| uint16 \| this format's version: (\d+)", "\n".join(lines))
    if not m or int(m.group(1)) != fmt[0]:
        problem("%s: loop_new's format_version row does not say %d" % (DOC, fmt[0]))


def check_xml(events, enums):
    enum_of = {}
    for ev, fields in events.items():
        for name, typ in fields:
            if typ.startswith("enum:"):
                enum_of[(ev, name)] = typ[5:]
    _, reads = tc_xml.xml_reads(XML, problem)
    n = 0
    for ev, field, use, label, where in reads:
        where = "%s: %s" % (XML, where)
        if not ev or not ev.startswith("libloop:"):
            problem("%s: reads %r, not a libloop event" % (where, ev))
            continue
        name = ev[len("libloop:"):]
        if name not in events:
            problem("%s: reads %s, not an event of the provider" % (where, ev))
            continue
        if field is None or field == "TIMESTAMP" or field.startswith("context."):
            continue
        n += 1
        if field not in dict(events[name]):
            problem("%s: %s has no field %r (has: %s)"
                    % (where, ev, field, ", ".join(f for f, _ in events[name])))
            continue
        enum = enum_of.get((name, field))
        if use == "compare" and label is not None and enum is not None:
            if label not in [l for l, _ in enums[enum]]:
                problem("%s: compares %s.%s with %r, not a label of %s" % (where, ev, field, label, enum))
    return n


def main():
    fmt, events, enums = read_dump(sys.argv[1])
    check_reader(fmt, events, enums)
    check_doc(fmt, events, enums)
    nxml = check_xml(events, enums)
    if problems:
        for p in problems:
            print("  " + p)
        print("schema_check: %d disagreement(s) with the provider tracepoints/libloop_tp.h"
              % len(problems))
        sys.exit(1)
    print("schema_check: ok (format %d.%d, %d events, %d fields, %d enumerations; reader, "
          "docs/trace-format.md and %d field reads of the Trace Compass XML agree)"
          % (fmt[0], fmt[1], len(events), sum(len(f) for f in events.values()), len(enums), nxml))


main()
