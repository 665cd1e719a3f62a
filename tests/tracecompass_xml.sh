#!/bin/sh
# tracecompass_xml.sh — the Trace Compass analysis tracecompass/libloop.xml
# against its schema, real traces and the state-name table.
#
#  1. The vendored schema (tests/vendor/tracecompass-xsd) matches the sha256
#     sums of its README, and xmllint validates the XML against it.
#  2. The state names and values the XML's views define are exactly the table
#     "Task and loop states (shared by loop-analyze and Trace Compass)" of
#     docs/trace-format.md; every value its state provider assigns is in that
#     table and every $NAME it uses is defined.
#  3. Under a private lttng-sessiond, loop-trace records `fanout --tasks 50`
#     and `deadlock`. Every event the XML reads occurs in those traces
#     (babeltrace2) with every payload field it reads; every context field
#     (context._NAME) is in the events' common context and declared _NAME in
#     the metadata, as Trace Compass reads it; a field the XML compares with
#     a label is an enumeration with that label, a field it stores or uses in
#     a path is not one (Trace Compass cannot store enumerations). The table's
#     wait kinds and callback kinds are the enumerations' labels, and the XML
#     maps every one of them. Renaming a tracepoint field breaks this test.
#  4. When $BUILD/bin/loop-analyze exists and `timeline --json` runs, the
#     state names it reports for those traces are the table's names too.
#
# Run by `make check` (scripts/run-tests) from the repository root; BUILD is
# the build directory. Needs root (then a mount namespace) or a normal user.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

XML=tracecompass/libloop.xml
XSD_DIR=tests/vendor/tracecompass-xsd
DOC=docs/trace-format.md

for tool in xmllint python3 babeltrace2 lttng lttng-sessiond sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
[ -f "$XML" ] || fail "$XML is missing"

make_tmp loop-tracecompass-test

# The checks over the XML, the table, the traces and loop-analyze's output.
cat >"$tmp/check.py" <<'PYEOF'
import json
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv.pop(1))  # tests/lib: tc_xml.py
import tc_xml  # noqa: E402

SECTION = "## Task and loop states (shared by loop-analyze and Trace Compass)"
SPECIAL_FIELDS = {"TIMESTAMP"}  # Trace Compass's own: the event's timestamp
problems = []

def problem(msg):
    problems.append(msg)

def finish(what):
    uniq = []
    for p in problems:
        if p not in uniq:
            uniq.append(p)
    problems[:] = uniq
    if problems:
        for p in problems:
            print("  " + p)
        print("%d problem(s) in %s" % (len(problems), what))
        sys.exit(1)

# ------------------------------------------------------------- the table
def read_table(doc):
    """{subsection: [row dicts]} of the shared section of docs/trace-format.md."""
    lines = open(doc, encoding="utf-8").read().split("\n")
    try:
        start = lines.index(SECTION)
    except ValueError:
        print("%s has no section %r" % (doc, SECTION[3:]))
        sys.exit(1)
    tables, sub, header = {}, None, None
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("### "):
            sub, header = line[4:].strip(), None
            continue
        if not line.startswith("|") or sub is None:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        tables.setdefault(sub, []).append(dict(zip(header, cells)))
    return tables

def ticked(cell):
    m = re.fullmatch(r"`([^`]+)`", cell)
    return m.group(1) if m else None

def table_names(doc):
    """The states by group, and {(Trace Compass name, value)} for the views."""
    t = read_table(doc)
    want = {"Task states": "state", "Wait kinds": "wait kind", "Loop states": "state",
            "Callback kinds": "kind"}
    groups, pairs = {}, set()
    for sub, key in want.items():
        rows = t.get(sub)
        if not rows:
            print("%s: the section has no table under '### %s'" % (doc, sub))
            sys.exit(1)
        names = []
        for row in rows:
            name = ticked(row.get(key, ""))
            value = row.get("Trace Compass value", "")
            label = ticked(row.get("Trace Compass state", "`%s`" % (name or "")))
            if name is None or not value.isdigit() or label is None:
                print("%s, table %s: cannot read the row %r" % (doc, sub, row))
                sys.exit(1)
            names.append(name)
            pairs.add((label, int(value)))
        groups[sub] = names
    return groups, pairs

# ------------------------------------------------------------- the XML
def xml_reads(path):
    return tc_xml.xml_reads(path, problem)

# ------------------------------------------------------------- the traces
def read_details(paths):
    """From `babeltrace2 -c sink.text.details` outputs: the event classes
    ({event: {field: [enum labels] or None}}), the common context members,
    and for each event that occurs, the payload and context members seen."""
    classes, common, seen = {}, set(), {}
    for path in paths:
        cur = None       # (dict to fill, indent of its members)
        enum_of = None   # (labels list, indent of its labels)
        occ = None
        for raw in open(path, encoding="utf-8", errors="replace"):
            line = raw.rstrip("\n")
            ind = len(line) - len(line.lstrip(" "))
            text = line.strip()
            m = re.match(r"Event class `([^`]+)` \(ID \d+\):$", text)
            if m:
                classes.setdefault(m.group(1), {})
                klass, cur, enum_of, occ = m.group(1), None, None, None
                continue
            if text.startswith("Event common context field class: Structure"):
                cur, enum_of, occ = (common, ind + 2), None, None
                continue
            if text.startswith("Payload field class: Structure"):
                cur, enum_of = (classes[klass], ind + 2), None
                continue
            m = re.match(r"Event `([^`]+)` \(Class ID \d+\):$", text)
            if m:
                occ = seen.setdefault(m.group(1), {"n": 0, "payload": set(), "context": set()})
                occ["n"] += 1
                cur, enum_of, section = None, None, None
                continue
            if occ is not None:
                if text in ("Common context:", "Payload:"):
                    section, sec_ind = ("context" if text == "Common context:" else "payload"), ind
                    continue
                if section and ind == sec_ind + 2 and ":" in text:
                    occ[section].add(text.split(":", 1)[0])
                elif ind <= 0:
                    occ = None
                continue
            if cur is None:
                continue
            target, mind = cur
            if enum_of is not None and ind == enum_of[1]:
                enum_of[0].append(text.split(":", 1)[0])
                continue
            if ind == mind and ":" in text:
                name, typ = [s.strip() for s in text.split(":", 1)]
                if isinstance(target, set):
                    target.add(name)
                else:
                    target[name] = [] if "enumeration" in typ else None
                    if target[name] is not None:
                        enum_of = (target[name], ind + 2)
                    else:
                        enum_of = None
                continue
            if ind < mind:
                cur, enum_of = None, None
    return classes, common, seen

def metadata_context(paths):
    """Names the metadata declares in the event context (as written, _vpid)."""
    names = set()
    for path in paths:
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r"event\.context\s*:=\s*struct\s*\{(.*?)\};", text, re.S):
            names.update(re.findall(r"\b(\w+)\s*(?:\[[^\]]*\])?\s*;", m.group(1)))
    return names

# ------------------------------------------------------------- modes
def check_names(xml, doc):
    groups, pairs = table_names(doc)
    root = ET.parse(xml).getroot()
    values = {v for _, v in pairs}
    all_views = set()
    for view in root.iter("timeGraphView"):
        vid = view.get("id")
        names = [(d.get("name"), d.get("value")) for d in view.findall("definedValue")]
        dup = {n for n, _ in names if [m for m, _ in names].count(n) > 1}
        if dup:
            problem("view %s defines %s more than once" % (vid, ", ".join(sorted(dup))))
        for name, value in names:
            if not (value or "").isdigit():
                problem("view %s: %s has the value %r, not an integer" % (vid, name, value))
                continue
            all_views.add((name, int(value)))
            if (name, int(value)) not in pairs:
                problem("view %s: state %r = %s is not in the table of %s" % (vid, name, value, doc))
    for name, value in sorted(pairs - all_views, key=lambda p: p[1]):
        problem("no view shows the table's state %r = %d" % (name, value))
    for sp in root.iter("stateProvider"):
        defined = {d.get("name"): d.get("value") for d in sp.findall("definedValue")}
        for node in sp.iter():
            for attr in ("value",):
                v = node.get(attr) or ""
                if v.startswith("$") and v[1:] not in defined:
                    problem("stateProvider %s uses %s, which it does not define" % (sp.get("id"), v))
        # Values assigned to attributes (not compared, not counted): the table's.
        for parent in sp.iter():
            if parent.tag not in ("stateChange", "then", "else"):
                continue
            sv = parent.find("stateValue")
            if sv is None or sv.get("type") not in ("int", "long") or sv.get("increment") == "true":
                continue
            v = sv.get("value") or ""
            v = defined.get(v[1:], v) if v.startswith("$") else v
            if not v.lstrip("-").isdigit() or int(v) not in values:
                problem("stateProvider %s assigns %s (%s), which is not a value of the table"
                        % (sp.get("id"), sv.get("value"), v))
    finish("the state names of %s against %s" % (xml, doc))
    print("%d states of the table, all in the views; the state provider assigns only those"
          % len(pairs))

def check_trace(xml, doc, details, metadata):
    groups, _ = table_names(doc)
    _, reads = xml_reads(xml)
    classes, common, seen = read_details(details)
    declared_ctx = metadata_context(metadata)
    events = sorted({r[0] for r in reads})
    fields = set()
    compared = {}
    for ev, field, use, label, where in reads:
        if not ev or not ev.startswith("libloop:"):
            problem("%s: reads event %r, not a libloop event" % (where, ev))
            continue
        occ = seen.get(ev)
        if occ is None:
            problem("%s: reads %s, which the captured traces never emit" % (where, ev))
            continue
        if field is None or field in SPECIAL_FIELDS:
            continue
        fields.add((ev, field))
        if field.startswith("context."):
            name = field[len("context."):]
            if not name.startswith("_"):
                problem("%s: %s: Trace Compass names contexts context._NAME" % (where, field))
            elif name[1:] not in occ["context"]:
                problem("%s: %s: no context %s in %s of the trace (has: %s)"
                        % (where, field, name[1:], ev, ", ".join(sorted(occ["context"]))))
            elif name not in declared_ctx:
                problem("%s: %s: the metadata declares no event context %s" % (where, field, name))
            continue
        if field not in occ["payload"]:
            problem("%s: %s has no field %r in the trace (has: %s)"
                    % (where, ev, field, ", ".join(sorted(occ["payload"]))))
            continue
        labels = classes.get(ev, {}).get(field)
        if use == "compare" and label is not None and labels is not None:
            compared.setdefault((ev, field), set()).add(label)
            if label not in labels:
                problem("%s: compares %s.%s with %r, not one of its labels (%s)"
                        % (where, ev, field, label, ", ".join(labels)))
        elif use in ("path", "value") and labels is not None:
            problem("%s: uses the enumeration %s.%s as a value or path; Trace Compass "
                    "reads enumerations as null there (compare it with its labels)" % (where, ev, field))
    # The tables and the XML cover every label of the enumerations they name.
    def labels_of(ev, field):
        got = classes.get(ev, {}).get(field)
        if got is None:
            problem("the trace has no enumeration %s.%s" % (ev, field))
            return set()
        return set(got)
    waits = labels_of("libloop:task_suspend", "wait_kind") - {"none"}
    kinds = labels_of("libloop:callback_begin", "kind")
    if set(groups["Wait kinds"]) != waits:
        problem("the table's wait kinds (%s) are not the wait_kind labels of the trace (%s)"
                % (", ".join(groups["Wait kinds"]), ", ".join(sorted(waits))))
    if set(groups["Callback kinds"]) != kinds:
        problem("the table's callback kinds (%s) are not the kind labels of the trace (%s)"
                % (", ".join(groups["Callback kinds"]), ", ".join(sorted(kinds))))
    ends = labels_of("libloop:task_done", "state")
    if not set(groups["Task states"]) <= ends:
        problem("the table's task states (%s) are not all task_state labels (%s)"
                % (", ".join(groups["Task states"]), ", ".join(sorted(ends))))
    for (ev, field), want in (
            (("libloop:task_suspend", "wait_kind"), waits),
            (("libloop:callback_begin", "kind"), kinds - {"none"})):
        missing = want - compared.get((ev, field), set())
        if missing:
            problem("the stateProvider and patterns never compare %s.%s with %s"
                    % (ev, field, ", ".join(sorted(missing))))
    finish("the events and fields %s reads" % xml)
    print("%d events and %d event fields the XML reads, all in the real traces (%d events)"
          % (len(events), len(fields), sum(o["n"] for o in seen.values())))

def check_analyze(doc, outputs):
    groups, _ = table_names(doc)
    task_states = set(groups["Task states"])
    loop_states = set(groups["Loop states"])
    waits = set(groups["Wait kinds"]) | {"none"}
    kinds = set(groups["Callback kinds"])
    found = 0

    def want(value, allowed, what, where):
        nonlocal found
        found += 1
        if value not in allowed:
            problem("%s: %s %r is not in the table (%s)" % (where, what, value, ", ".join(sorted(allowed))))

    for path in outputs:
        try:
            doc_json = json.load(open(path, encoding="utf-8"))
        except ValueError as e:
            problem("%s: not JSON (%s)" % (path, e))
            continue
        rows = doc_json.get("rows") if isinstance(doc_json, dict) else None
        if not isinstance(rows, list):
            problem("%s: no \"rows\" array in loop-analyze timeline --json" % path)
            continue
        for row in rows:
            loop_row = row.get("type") == "loop"
            where = "loop-analyze timeline --json, %s row" % ("loop" if loop_row else "task")
            if "end_state" in row and row["end_state"] is not None:
                want(row["end_state"], task_states, "end_state", where)
            for iv in row.get("intervals") or []:
                if "state" in iv:
                    want(iv["state"], loop_states if loop_row else task_states, "state", where)
                if iv.get("wait_kind") is not None:
                    want(iv["wait_kind"], waits, "wait_kind", where)
                if loop_row and iv.get("kind") is not None:
                    want(iv["kind"], kinds, "callback kind", where)
    if found == 0 and not problems:
        problem("found no state names (rows[].intervals[].state, wait_kind, kind, end_state)"
                " in loop-analyze timeline --json")
    finish("loop-analyze timeline --json against the table of %s" % doc)
    print("%d state names from loop-analyze timeline --json, all in the table" % found)

mode = sys.argv[1]
if mode == "names":
    check_names(sys.argv[2], sys.argv[3])
elif mode == "trace":
    rest = sys.argv[4:]
    split = rest.index("--")
    check_trace(sys.argv[2], sys.argv[3], rest[:split], rest[split + 1:])
elif mode == "analyze":
    check_analyze(sys.argv[2], sys.argv[3:])
else:
    sys.exit("check.py: unknown mode " + mode)
PYEOF

# 1. The schema copy is intact, and the XML is valid against it.
sums=$(sed -n 's/^ *\([0-9a-f]\{64\}\)  \([A-Za-z]*\.xsd\)$/\1  \2/p' "$XSD_DIR/README.md")
[ "$(printf '%s\n' "$sums" | grep -c .)" = 6 ] ||
    fail "$XSD_DIR/README.md does not list the sha256 of the six schema files"
if ! out=$(cd "$XSD_DIR" && printf '%s\n' "$sums" | sha256sum -c --quiet 2>&1); then
    fail "the vendored schema differs from its README's sums (replace all six files together): $out"
fi
if ! out=$(xmllint --noout --schema "$XSD_DIR/xmlDefinition.xsd" "$XML" 2>&1); then
    printf '%s\n' "$out" | head -n 20 >&2
    fail "$XML does not validate against the Trace Compass schema ($XSD_DIR)"
fi

# 2. The state names against docs/trace-format.md.
if ! out=$(python3 "$tmp/check.py" "$PWD/tests/lib" names "$XML" "$DOC" 2>&1); then
    printf '%s\n' "$out" >&2
    fail "the state names of $XML differ from the table in $DOC"
fi
names_summary=$out

# 3. Real traces: every event and field the XML reads.
for f in bin/loop-trace bin/fanout bin/deadlock lib/liblooptp.so; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
sessiond_start
"$BUILD/bin/loop-trace" -o "$tmp/fanout" -- "$BUILD/bin/fanout" --tasks 50 \
    >"$tmp/fanout.out" 2>"$tmp/fanout.err"
st=$?
[ $st = 0 ] || fail "loop-trace -- fanout --tasks 50 exited $st: $(tail -n 3 "$tmp/fanout.err")"
# deadlock reports its deadlock and exits non-zero: only loop-trace's own failure counts.
"$BUILD/bin/loop-trace" -o "$tmp/deadlock" -- "$BUILD/bin/deadlock" \
    >"$tmp/deadlock.out" 2>"$tmp/deadlock.err"
st=$?
[ $st != 125 ] || fail "loop-trace -- deadlock failed: $(grep '^loop-trace:' "$tmp/deadlock.err")"
[ -d "$tmp/deadlock/ust" ] || fail "loop-trace -- deadlock recorded no trace (status $st)"
sessiond_stop

details=""
metadata=""
n=0
for t in fanout deadlock; do
    babeltrace2 -c sink.text.details "$tmp/$t" >"$tmp/$t.details" 2>"$tmp/bt.err" ||
        fail "babeltrace2 cannot read the $t trace: $(head -n 3 "$tmp/bt.err")"
    details="$details $tmp/$t.details"
    # One metadata per trace directory (per UID and bitness, or per process).
    find "$tmp/$t" -name metadata >"$tmp/metadata.list"
    while IFS= read -r md; do
        n=$((n + 1))
        babeltrace2 --output-format=ctf-metadata "${md%/metadata}" >"$tmp/metadata.$n" 2>"$tmp/bt.err" ||
            fail "babeltrace2 cannot print the metadata of $md: $(head -n 3 "$tmp/bt.err")"
        metadata="$metadata $tmp/metadata.$n"
    done <"$tmp/metadata.list"
done
[ -n "$metadata" ] || fail "the traces hold no metadata file"
# shellcheck disable=SC2086 # lists of paths without spaces (mktemp under TMPDIR)
if ! out=$(python3 "$tmp/check.py" "$PWD/tests/lib" trace "$XML" "$DOC" $details -- $metadata 2>&1); then
    printf '%s\n' "$out" >&2
    fail "$XML reads events or fields that the real traces do not have as it expects"
fi
trace_summary=$out

# 4. loop-analyze, when built, names the states as the table does.
analyze_summary="loop-analyze is not built: its timeline names were not compared"
if [ -x "$BUILD/bin/loop-analyze" ]; then
    outputs=""
    ran=1
    for t in fanout deadlock; do
        "$BUILD/bin/loop-analyze" timeline --json --all "$tmp/$t" >"$tmp/$t.timeline.json" \
            2>"$tmp/$t.timeline.err"
        st=$?
        if [ $st != 0 ] && [ $st != 1 ]; then
            ran=0
            why=$(head -n 1 "$tmp/$t.timeline.err")
            analyze_summary="loop-analyze timeline --json exited $st on the $t trace ($why): its names were not compared"
            break
        fi
        outputs="$outputs $tmp/$t.timeline.json"
    done
    if [ $ran = 1 ]; then
        # shellcheck disable=SC2086 # list of paths
        if ! out=$(python3 "$tmp/check.py" "$PWD/tests/lib" analyze "$DOC" $outputs 2>&1); then
            printf '%s\n' "$out" >&2
            fail "loop-analyze timeline --json names states otherwise than the table" \
                "\"Task and loop states\" of $DOC (Trace Compass uses the table's names)"
        fi
        analyze_summary=$out
    fi
fi

echo "tracecompass_xml: ok ($XML valid; $names_summary; $trace_summary; $analyze_summary)"
