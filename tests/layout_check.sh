#!/bin/sh
# layout_check.sh — the include arrows of docs/architecture.md hold.
#
# Reads the table "## Parts" of docs/architecture.md (part, the headers it
# offers, the parts it may include) and every #include of the C and assembly
# files under the parts' folders. An include that reaches into another part
# must follow an arrow of the table and name a header that part offers;
# tests/ and bench/ are white-box and exempt. Resolves "X" as the build does
# (the including file's folder, then include/, libloop/, the root, and the
# -I folders of the .mk fragments: reader/, analyze/, tracepoints/, uv/include/, uv/) and <X>
# against include/ only; a header the build generates ($(BUILD)/gen/NAME.h in
# a .mk fragment) is the including part's own. One line per violation, then a non-zero exit.
# Run by `make check` (scripts/run-tests) from the repository root.
set -u
exec python3 - "$@" <<'PYEOF'
import os
import re
import sys

DOC = "docs/architecture.md"
SEARCH = ["include", "libloop", ".", "reader", "analyze", "tracepoints", "uv/include", "uv"]
EXEMPT = {"tests", "bench"}

parts, problems = {}, []
lines = open(DOC, encoding="utf-8").read().split("\n")
try:
    start = lines.index("## Parts")
except ValueError:
    sys.exit("layout_check.sh: FAIL: %s has no '## Parts' section" % DOC)
header = None
for line in lines[start + 1:]:
    if line.startswith("## "):
        break
    if not line.startswith("|"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if header is None:
        header = cells
        continue
    if set("".join(cells)) <= set("-: "):
        continue
    row = dict(zip(header, cells))
    name = re.fullmatch(r"`([\w/]+)`", row.get("part", ""))
    if not name or not os.path.isdir(name.group(1)):
        problems.append("%s: the part %r is not a folder" % (DOC, row.get("part")))
        continue
    parts[name.group(1)] = (set(re.findall(r"`([\w.]+)`", row.get("offers", ""))),
                            set(re.findall(r"`([\w/]+)`", row.get("may include", ""))))
if len(parts) < 5:
    sys.exit("layout_check.sh: FAIL: read only %d parts from %s" % (len(parts), DOC))
for p, (_, may) in parts.items():
    for q in may - set(parts):
        problems.append("%s: %s may include %s, which is not a part" % (DOC, p, q))


def owner(path):
    path = os.path.normpath(path)
    best = None
    for p in list(parts) + sorted(EXEMPT):
        if path == p or path.startswith(p + "/"):
            if best is None or len(p) > len(best):
                best = p
    return best


def resolve(src, name, angle):
    dirs = ["include"] if angle else [os.path.dirname(src)] + SEARCH
    for d in dirs:
        cand = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(cand):
            return cand
    return None


# Headers the build generates (into $(BUILD)/gen): named in a .mk fragment.
generated = set()
for dirpath, dirnames, files in os.walk("."):
    dirnames[:] = [d for d in dirnames if d not in ("build", ".git")]
    for f in files:
        if f.endswith(".mk") or f == "Makefile":
            generated |= set(re.findall(r"/gen/([\w.]+\.h)\b",
                                        open(os.path.join(dirpath, f), encoding="utf-8").read()))

count = 0
for top in sorted(parts):
    for dirpath, dirnames, files in os.walk(top):
        if owner(dirpath) != top:
            continue  # a sub-folder that is a part of its own
        for f in sorted(files):
            if not f.endswith((".c", ".h", ".S")):
                continue
            src = os.path.join(dirpath, f)
            for no, line in enumerate(open(src, encoding="utf-8", errors="replace"), 1):
                m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
                if not m:
                    continue
                angle = m.group(1) == "<"
                target = resolve(src, m.group(2), angle)
                if target is None:
                    if not angle and m.group(2) not in generated:
                        problems.append("%s:%d: #include \"%s\" is no file of the tree"
                                        % (src, no, m.group(2)))
                    continue
                count += 1
                q = owner(target)
                if q == top:
                    continue
                if q is None or q in EXEMPT:
                    problems.append("%s:%d: includes %s, which belongs to no part" % (src, no, target))
                elif q not in parts[top][1]:
                    problems.append("%s:%d: %s includes %s: no arrow %s -> %s in %s"
                                    % (src, no, top, target, top, q, DOC))
                elif os.path.basename(target) not in parts[q][0]:
                    problems.append("%s:%d: includes %s, which %s does not offer (offers: %s)"
                                    % (src, no, target, q, " ".join(sorted(parts[q][0]))))
if problems:
    for p in problems:
        print("  " + p)
    print("layout_check.sh: FAIL: %d include(s) against the arrows of %s" % (len(problems), DOC))
    sys.exit(1)
print("layout_check: ok (%d parts, %d includes of their files follow the arrows of %s)"
      % (len(parts), count, DOC))
PYEOF
