"""tc_xml.py — what tracecompass/libloop.xml reads: the events and the fields
of each, as Trace Compass resolves them. Shared by tests/tracecompass_xml.sh
(against real traces) and tests/schema_check.sh (against the provider)."""
import xml.etree.ElementTree as ET


def xml_reads(path, problem):
    """[(event, field, use, label, where)]: use is path, value or compare."""
    root = ET.parse(path).getroot()
    reads = []

    def collect(elem, event, locations, where, seen=()):
        for node in elem.iter():
            kind = node.get("type")
            if node.tag == "stateAttribute" and kind == "eventField":
                reads.append((event, node.get("value"), "path", None, where))
            elif node.tag == "stateAttribute" and kind == "location":
                loc = node.get("value")
                if loc not in locations:
                    problem("%s: unknown location %r" % (where, loc))
                elif loc not in seen:
                    collect(locations[loc], event, locations, where, seen + (loc,))
            elif node.tag in ("stateValue", "begin", "end", "duration", "futureTime") \
                    and kind == "eventField":
                reads.append((event, node.get("value"), "value", None, where))
            elif node.tag == "condition" and node.find("field") is not None:
                sv = node.find("stateValue")
                label = sv.get("value") if sv is not None and sv.get("type") == "string" else None
                reads.append((event, node.find("field").get("name"), "compare", label, where))

    for sp in root.iter("stateProvider"):
        locations = {l.get("id"): l for l in sp.findall("location")}
        for eh in sp.findall("eventHandler"):
            ev = eh.get("eventName")
            where = "stateProvider %s, eventHandler %s" % (sp.get("id"), ev)
            reads.append((ev, None, "event", None, where))
            collect(eh, ev, locations, where)
    for pat in root.iter("pattern"):
        locations = {l.get("id"): l for l in pat.findall("location")}
        handler = pat.find("patternHandler")
        actions = {a.get("id"): a for a in handler.findall("action")}
        tests = {t.get("id"): t for t in handler.findall("test")}
        for fsm in handler.findall("fsm"):
            pre = [p.get("event") for p in fsm.findall("precondition") if p.get("event")]
            for tr in fsm.iter("transition"):
                events = [tr.get("event")] if tr.get("event") else pre
                where = "pattern %s, fsm %s" % (pat.get("id"), fsm.get("id"))
                used = [actions.get(a) for a in (tr.get("action") or "").split(":") if a]
                used += [tests.get(c) for c in (tr.get("cond") or "").split(":") if c]
                if None in used:
                    problem("%s: a transition names an unknown action or test" % where)
                if not events:
                    if used:
                        problem("%s: a transition without event reads fields" % where)
                    continue
                for ev in events:
                    reads.append((ev, None, "event", None, where))
                    for elem in used:
                        if elem is not None:
                            collect(elem, ev, locations, where)
    return root, reads
