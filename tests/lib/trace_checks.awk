# trace_checks.awk — checks on the babeltrace2 text output of a trace of
# tests/lib/trace_prog.c (see tests/trace_capture.sh). Prints one line per
# failed check ("check: what") and exits 1 if any failed.
#
# Variables (-v): timer_line, io_line, work_line, defer_line: the source lines
# of the creating calls in trace_prog.c; prog: its procname.

# The value of a scalar field ("name = value"), "" when absent.
function field(name,    s) {
    if (match($0, "[{ ]" name " = [^,}]*")) {
        s = substr($0, RSTART + 1, RLENGTH - 1)
        sub("^" name " = ", "", s)
        sub(/ +$/, "", s)
        return s
    }
    return ""
}

# The label of an enumeration field ("name = ( \"label\" : container = N )").
function label(name,    s) {
    if (match($0, name " = \\( \"[^\"]*\"")) {
        s = substr($0, RSTART, RLENGTH)
        sub(/^.*\( "/, "", s)
        sub(/"$/, "", s)
        return s
    }
    return ""
}

function fail(msg) {
    print "check: " msg
    failed++
}

BEGIN {
    failed = 0
    nev = 0
}

{
    if (!match($0, /libloop:[a-z_]+:/)) {
        next
    }
    ev = substr($0, RSTART + 8, RLENGTH - 9)
    nev++
    seen[ev]++
    if ($0 !~ /vpid = [0-9]+, vtid = [0-9]+, procname = "/) {
        nocontext++
    }
    if (field("loop_id") == "") {
        fail(ev " has no loop_id")
    }
    key = field("vpid") "/" field("loop_id")
    vtid = field("vtid")
}

ev == "loop_new" {
    if (field("format_version") != "1") {
        fail("loop_new: format_version is \"" field("format_version") "\", want 1")
    }
    if (label("policy") != "fifo") {
        fail("loop_new: policy label is \"" label("policy") "\", want fifo")
    }
    loop_vtid[key] = vtid
    if (field("procname") != "\"" prog "\"") {
        fail("loop_new: procname is " field("procname") ", want \"" prog "\"")
    }
}

ev == "run_begin" && label("mode") != "default" {
    fail("run_begin: mode label is \"" label("mode") "\", want default")
}

ev == "run_end" && field("rc") != "0" {
    fail("run_end: rc is " field("rc") ", want 0")
}

ev == "handle_new" {
    if (field("site_file") !~ /trace_prog\.c"$/ || field("site_func") != "\"main\"") {
        fail("handle_new id " field("id") ": site is " field("site_file") ":" field("site_line") \
             " " field("site_func") ", want trace_prog.c in main")
    }
    if (field("parent_task") != "0") {
        fail("handle_new id " field("id") ": parent_task " field("parent_task") ", want 0")
    }
    l = field("site_line")
    k = label("kind")
    if (l == timer_line && k == "timer") timer_id = field("id")
    if (l == io_line && k == "io") io_id = field("id")
    if (l == work_line && k == "work") work_id = field("id")
    if (l == defer_line && k == "defer") defer_id = field("id")
    if (field("id") in new_ids) {
        fail("handle_new: id " field("id") " used twice")
    }
    new_ids[field("id")] = k
}

ev == "handle_start" && label("kind") == "io" {
    io_start_fd = field("fd")
    if (field("events") != "0x1") {
        fail("handle_start io: events " field("events") ", want 0x1 (readable)")
    }
}

ev == "handle_start" && label("kind") == "timer" {
    if (field("repeat_ns") != "1000000") {
        fail("handle_start timer: repeat_ns " field("repeat_ns") ", want 1000000")
    }
}

ev == "handle_close" {
    closed_name[field("id")] = field("name")
}

ev == "io_ready" {
    io_ready_id = field("id")
    io_ready_fd = field("fd")
    if (field("revents") != "0x1") {
        fail("io_ready: revents " field("revents") ", want 0x1")
    }
}

ev == "iter_begin" {
    now = field("now_ns") + 0
    if (key in last_now && now < last_now[key]) {
        fail("iter_begin: now_ns went back from " last_now[key] " to " now)
    }
    last_now[key] = now
    iters++
}

ev == "callback_begin" {
    if (depth[key] > 0) {
        fail("callback_begin id " field("id") " inside callback " top[key])
    }
    depth[key] = 1
    top[key] = field("id") "/" label("kind")
    if (label("kind") == "timer") timer_cbs[field("id")]++
    if (label("kind") == "") fail("callback_begin id " field("id") ": kind has no label")
    if (vtid != loop_vtid[key]) fail("callback_begin id " field("id") " not on the loop thread")
    order[++ncb] = field("id") "/" label("kind")
}

ev == "callback_end" {
    if (depth[key] != 1 || top[key] != field("id") "/" label("kind")) {
        fail("callback_end " field("id") "/" label("kind") " does not close " \
             (depth[key] > 0 ? top[key] : "any callback_begin"))
    }
    depth[key] = 0 # resynchronize: report each broken pair once
}

ev ~ /^pool_/ {
    if (field("id") == work_id) {
        pool_seq = pool_seq " " substr(ev, 6)
    }
    if (ev == "pool_begin" || ev == "pool_end") {
        if (vtid == loop_vtid[key]) fail(ev ": on the loop thread, want a worker thread")
    }
    if (ev == "pool_done" && field("status") != "0") fail("pool_done: status " field("status"))
}

ev == "loop_close" {
    closed_loops[key] = 1
}

END {
    if (nev == 0) {
        print "check: the trace holds no libloop event"
        exit 1
    }
    n = split("loop_new loop_close run_begin run_end iter_begin poll_begin poll_end io_ready " \
              "handle_new handle_start handle_stop handle_close callback_begin callback_end " \
              "pool_submit pool_begin pool_end pool_done", want, " ")
    for (i = 1; i <= n; i++) {
        if (!(want[i] in seen)) fail("no " want[i] " event")
    }
    if (nocontext > 0) fail(nocontext " events lack the vpid/vtid/procname contexts")
    if (seen["loop_new"] != 1 || seen["loop_close"] != 1) {
        fail("want one loop_new and one loop_close, got " seen["loop_new"] + 0 " and " \
             seen["loop_close"] + 0)
    }
    if (seen["callback_begin"] != seen["callback_end"]) {
        fail(seen["callback_begin"] + 0 " callback_begin but " seen["callback_end"] + 0 " callback_end")
    }
    if (timer_id == "") {
        fail("no handle_new kind timer at trace_prog.c:" timer_line)
    } else {
        if (timer_cbs[timer_id] != 3) fail("timer " timer_id " ran " timer_cbs[timer_id] + 0 " times, want 3")
        if (closed_name[timer_id] != "\"tick\"") {
            fail("handle_close of timer " timer_id ": name " closed_name[timer_id] ", want \"tick\"")
        }
    }
    if (io_id == "") {
        fail("no handle_new kind io at trace_prog.c:" io_line)
    } else {
        if (io_ready_id != io_id) fail("io_ready id " io_ready_id ", want the watcher's id " io_id)
        if (io_ready_fd != io_start_fd) fail("io_ready fd " io_ready_fd ", handle_start said " io_start_fd)
        if (closed_name[io_id] != "\"pipe-r\"") fail("handle_close of io " io_id ": name " closed_name[io_id])
    }
    if (defer_id == "") fail("no handle_new kind defer at trace_prog.c:" defer_line)
    if (work_id == "") {
        fail("no handle_new kind work at trace_prog.c:" work_line)
    } else if (pool_seq != " submit begin end done") {
        fail("work " work_id ": pool events were" pool_seq ", want submit begin end done")
    }
    if (iters < 2) fail("only " iters + 0 " iter_begin events")
    for (k in depth) if (depth[k] != 0) fail("loop " k ": a callback_begin without its end")
    for (k in loop_vtid) if (!(k in closed_loops)) fail("loop " k ": no loop_close")
    exit failed > 0 ? 1 : 0
}
