# libloop_gdb.py — gdb commands for libloop programs: tasks and handles.
#
#   info loop-tasks     every task of every live loop: id, name, state, what it
#                       waits on and where, creation site
#   loop-task N         show task N's suspended stack: bt, frame, up/down and
#                       info locals then work on the task's frames
#   loop-task 0         back to the thread's own stack
#   info loop-handles   every open handle of every loop, by kind and site
#
# Load it with `source PREFIX/share/libloop/gdb/libloop_gdb.py`, or let gdb's
# auto-load do it for a program linked with libloop.so (see libloop(7)).
#
# It only reads memory (the process's list of live loops in libloop/debug/
# debug.c, each loop's handle and task lists, a task's saved context), never
# calls into the program and never writes registers, so it works the same on a
# live process and on a core file. It needs libloop's debug information (the
# default build has -g).
#
# How `loop-task N` works: a Python unwinder claims frame #0 of the selected
# thread and says its caller's registers are those saved in the task's context
# (the frame that arch/ctx_x86_64.S pushes: r15 r14 r13 r12 rbx rbp and the
# return address above the stored stack pointer). gdb's own unwinder takes it
# from there, through the task's frames down to loop__ctx_start, the task's
# outermost frame. Frame #0 is still where the thread stopped; a frame filter
# hides it from `bt` and the command selects frame #1, the task's innermost
# frame (in loop__task_suspend, called from the await). x86-64 only.

import gdb
import gdb.unwinder

try:
    from gdb.FrameDecorator import FrameDecorator  # noqa: F401  (gdb >= 7.10)
except ImportError:  # pragma: no cover
    FrameDecorator = None

# struct loop_handle_s.flags (libloop/core/internal.h)
H_ACTIVE = 1 << 0
H_CLOSING = 1 << 2
H_CLOSED = 1 << 3
H_REF = 1 << 4
H_INTERNAL = 1 << 5
H_CALL = 1 << 6

# The saved frame of a suspended context, from ctx.sp upward (ctx_x86_64.S).
CTX_FRAME = (("r15", 8), ("r14", 16), ("r13", 24), ("r12", 32), ("rbx", 40), ("rbp", 48))
CTX_RET = 56
CTX_SIZE = 64


class LoopGdbError(gdb.GdbError):
    pass


def _type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        raise LoopGdbError("libloop: no debug information for %s (build libloop with -g)" % name)


def _registry():
    """The process's list of live loops (static `registry` in debug.c)."""
    cands = []
    try:
        cands = gdb.lookup_static_symbols("registry")
    except (AttributeError, gdb.error):
        sym = gdb.lookup_static_symbol("registry")
        cands = [sym] if sym is not None else []
    for sym in cands:
        if sym.symtab is not None and sym.symtab.filename.endswith("debug.c"):
            return sym.value()
    for sym in cands:
        if str(sym.type.strip_typedefs()) == "struct loop_queue_s":
            return sym.value()
    raise LoopGdbError("libloop: no loop registry found (is libloop linked, with debug info?)")


def _queue(head, ctype, member):
    """The objects of an intrusive loop_queue_t, as pointers to ctype."""
    ptr_t = ctype.pointer()
    off = None
    for f in ctype.fields():
        if f.name == member:
            off = f.bitpos // 8
    if off is None:
        raise LoopGdbError("libloop: %s has no member %s" % (ctype, member))
    head_addr = int(head.address)
    q = head["next"]
    seen = 0
    while int(q) != head_addr and int(q) != 0:
        yield gdb.Value(int(q) - off).cast(ptr_t)
        q = q["next"]
        seen += 1
        if seen > 10000000:
            raise LoopGdbError("libloop: list at 0x%x does not end (corrupt?)" % head_addr)


def loops():
    loop_t = _type("struct loop_s")
    return list(_queue(_registry(), loop_t, "registry_node"))


def _str(p, default=""):
    if int(p) == 0:
        return default
    try:
        return p.string()[:256]
    except gdb.error:
        return "<bad 0x%x>" % int(p)


def site(p):
    if int(p) == 0:
        return "?"
    s = p.dereference()
    return "%s:%d (%s)" % (_str(s["file"], "?"), int(s["line"]), _str(s["func"], "?"))


def idents(lp):
    """{id: (name, parent task)} of a loop's handles and tasks that have one: the
    side table loop->idents (libloop/core/ident.c), read whole (no hash to repeat)."""
    tb = lp["idents"]
    out = {}
    if int(tb["ent"]) == 0:
        return out
    for i in range(int(tb["cap"])):
        e = tb["ent"][i]
        hid = int(e["id"])
        if hid != 0:
            out[hid] = (e["name"], int(e["parent_task"]))
    return out


def ident(ids, hid):
    """(name or "-", parent task id) of handle or task hid, from idents()."""
    name, parent = ids.get(hid, (None, 0))
    return (_str(name, "-") if name is not None else "-"), parent


def _task_name(lp, task_id):
    name = idents(lp).get(task_id, (None, 0))[0]
    return _str(name, "") if name is not None else ""


# loop_kind_t (include/loop.h); the handle stores it as a uint8_t.
KINDS = ("none", "timer", "io", "signal", "defer", "async", "work", "task", "close")


def kind_name(k):
    return KINDS[k] if 0 <= k < len(KINDS) else "kind%d" % k


def _enum_name(v, prefix):
    name = str(v)
    if name.startswith(prefix):
        return name[len(prefix):].lower()
    return name


def tasks(loop):
    ts = loop["tasks"]
    if int(ts) == 0:
        return []
    ts = ts.cast(_type("struct loop__tasks").pointer())
    return list(_queue(ts["tasks"], _type("struct loop_task_s"), "task_node"))


def find_task(task_id):
    for lp in loops():
        for t in tasks(lp):
            if int(t["hdr"]["id"]) == task_id:
                return lp, t
    return None, None


def wait_text(t):
    kind = _enum_name(t["wait_kind"], "LOOP_WAIT_")
    text = "%s obj=%d" % (kind, int(t["wait_obj"]))
    if int(t["wait_task"]) != 0:
        owner = "owner" if kind == "lock" else "task"
        text += " %s=%d" % (owner, int(t["wait_task"]))
    if int(t["wait_timeout_ms"]) >= 0:
        text += " timeout-ms=%d" % int(t["wait_timeout_ms"])
    return text


class InfoLoopTasks(gdb.Command):
    """List every task of every libloop loop: id, name, state, wait, sites.
Usage: info loop-tasks"""

    def __init__(self):
        super().__init__("info loop-tasks", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        lps = loops()
        if not lps:
            gdb.write("No live libloop loops.\n")
            return
        for lp in lps:
            ts = tasks(lp)
            gdb.write("loop %d (%s): %d task(s)\n" % (int(lp["id"]), lp.format_string(),
                                                       len(ts)))
            if not ts:
                continue
            gdb.write("  %5s %-16s %-10s %-34s %-32s %s\n" % (
                "id", "name", "state", "waits on", "waiting at", "created at"))
            ids = idents(lp)
            for t in ts:
                state = _enum_name(t["state"], "LOOP_TASK_")
                wait, at = "-", "-"
                if state == "waiting":
                    wait = wait_text(t)
                    at = site(t["wait_site"])
                elif state in ("failed", "cancelled"):
                    wait = "error=%d" % int(t["error"])
                gdb.write("  %5d %-16s %-10s %-34s %-32s %s\n" % (
                    int(t["hdr"]["id"]), ident(ids, int(t["hdr"]["id"]))[0], state, wait, at,
                    site(t["hdr"]["site"])))


class InfoLoopHandles(gdb.Command):
    """List the open handles of every libloop loop, by kind and creation site.
Usage: info loop-handles [all]   (all: also libloop's internal handles)"""

    def __init__(self):
        super().__init__("info loop-handles", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        show_internal = arg.strip() == "all"
        handle_t = _type("struct loop_handle_s")
        lps = loops()
        if not lps:
            gdb.write("No live libloop loops.\n")
            return
        for lp in lps:
            hs = list(_queue(lp["handles"], handle_t, "all"))
            internal = [h for h in hs if int(h["flags"]) & H_INTERNAL]
            shown = hs if show_internal else [h for h in hs if not int(h["flags"]) & H_INTERNAL]
            gdb.write("loop %d: %d open handle(s), %d internal (libloop's own: task timers, "
                      "the dump signal; `info loop-handles all` lists them)\n"
                      % (int(lp["id"]), len(hs) - len(internal), len(internal)))
            if not shown:
                continue
            rows = []
            ids = idents(lp)
            for h in shown:
                flags = int(h["flags"])
                st = []
                if flags & H_ACTIVE:
                    st.append("active")
                if flags & H_REF:
                    st.append("ref")
                if flags & H_CLOSING:
                    st.append("closing")
                if flags & H_INTERNAL:
                    st.append("internal")
                kind = kind_name(int(h["kind"]))
                name, parent = ident(ids, int(h["id"]))
                rows.append((kind, site(h["site"]), int(h["id"]), name,
                             ",".join(st) or "-", parent))
            rows.sort(key=lambda r: (r[0], r[1], r[2]))
            gdb.write("  %-8s %6s %-16s %-18s %6s %s\n" % ("kind", "id", "name", "flags",
                                                          "task", "created at"))
            for kind, where, hid, name, st, task in rows:
                gdb.write("  %-8s %6d %-16s %-18s %6s %s\n" % (kind, hid, name, st,
                                                              task or "-", where))


class TaskUnwinder(gdb.unwinder.Unwinder):
    """Claims frame #0 of one thread while a task is selected: its caller is
    the task's saved context."""

    def __init__(self):
        super().__init__("libloop-task")
        self.regs = None      # {register name: int} of the task's innermost frame
        self.thread = None    # the thread whose view is switched
        self.task_id = 0

    def __call__(self, pending_frame):
        if self.regs is None or pending_frame.level() != 0:
            return None
        th = gdb.selected_thread()
        if th is None or th.ptid != self.thread:
            return None
        u64 = gdb.lookup_type("unsigned long")
        pc = int(pending_frame.read_register("rip"))
        # The id's stack address: below the task's frames, so that gdb does
        # not take them for frames inner to this one.
        fid = FrameId(gdb.Value(self.regs["rsp"] - 16).cast(u64), gdb.Value(pc).cast(u64))
        info = pending_frame.create_unwind_info(fid)
        for name, val in self.regs.items():
            info.add_saved_register(name, gdb.Value(val).cast(u64))
        return info


class FrameId(object):
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class HideThreadFrame(object):
    """Frame filter: while a task is selected, `bt` starts at its frames."""

    def __init__(self):
        self.name = "libloop-task"
        self.priority = 100
        self.enabled = True

    def filter(self, frame_iter):
        th = gdb.selected_thread()
        if UNWINDER.regs is None or th is None or th.ptid != UNWINDER.thread:
            return frame_iter
        return self._skip_first(frame_iter)

    @staticmethod
    def _skip_first(frame_iter):
        for deco in frame_iter:
            if deco.inferior_frame().level() == 0:
                continue
            yield deco


def read_u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), "little")


def task_regs(t):
    """The registers of a suspended task's innermost frame (the caller of
    loop__ctx_switch_raw), from its saved context."""
    sp = int(t["ctx"]["sp"])
    if sp == 0:
        raise LoopGdbError("libloop: task %d has no saved context" % int(t["hdr"]["id"]))
    try:
        regs = {name: read_u64(sp + off) for name, off in CTX_FRAME}
        regs["rip"] = read_u64(sp + CTX_RET)
    except gdb.MemoryError:
        regs = {"rip": 0}
    if regs["rip"] == 0:
        # gcore (gdb 13) drops a whole mapping it cannot read in one go, and
        # on Linux >= 6.13 the task stacks' guard pages (MADV_GUARD_INSTALL)
        # sit inside the stacks' mapping: the kernel's own core dumps have them.
        raise LoopGdbError("libloop: task %d's stack is not readable at 0x%x (a core file "
                           "written by gcore on Linux >= 6.13 misses task stacks: use a "
                           "kernel core dump)" % (int(t["hdr"]["id"]), sp))
    regs["rsp"] = sp + CTX_SIZE
    return regs


def switch_back():
    UNWINDER.regs = None
    UNWINDER.thread = None
    UNWINDER.task_id = 0
    gdb.invalidate_cached_frames()


class LoopTask(gdb.Command):
    """Show a libloop task's stack: `loop-task N` makes bt, frame, up/down and
info locals work on task N's suspended frames; `loop-task 0` switches back.
Usage: loop-task ID"""

    def __init__(self):
        super().__init__("loop-task", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        try:
            task_id = int(arg, 0)
        except ValueError:
            raise LoopGdbError("Usage: loop-task ID (0: back to the thread's own stack)")
        if task_id == 0:
            was = UNWINDER.task_id
            switch_back()
            if was:
                gdb.write("Back to the thread's own stack.\n")
            gdb.execute("frame 0", to_string=not from_tty)
            return
        arch = gdb.selected_inferior().architecture().name()
        if "x86-64" not in arch:
            raise LoopGdbError("libloop: loop-task supports x86-64 only (this is %s)" % arch)
        lp, t = find_task(task_id)
        if t is None:
            raise LoopGdbError("libloop: no task %d in any live loop (info loop-tasks)" % task_id)
        state = _enum_name(t["state"], "LOOP_TASK_")
        if state == "running":
            switch_back()
            gdb.write("Task %d is running: its frames are the loop thread's own stack.\n"
                      % task_id)
            return
        if state == "new":
            raise LoopGdbError("libloop: task %d has not started yet: no frames" % task_id)
        if state in ("done", "cancelled", "failed") or int(t["stack"]) == 0:
            raise LoopGdbError("libloop: task %d has finished (%s): its stack is gone"
                               % (task_id, state))
        th = gdb.selected_thread()
        if th is None:
            raise LoopGdbError("libloop: no thread selected")
        switch_back()
        UNWINDER.regs = task_regs(t)
        UNWINDER.thread = th.ptid
        UNWINDER.task_id = task_id
        gdb.invalidate_cached_frames()
        gdb.write("Task %d \"%s\" (%s) on loop %d; `loop-task 0` switches back.\n"
                  % (task_id, _task_name(lp, task_id), state, int(lp["id"])))
        gdb.execute("frame %d" % first_user_frame(), to_string=False)


def first_user_frame():
    """The level of the task's first frame outside libloop (the await's
    caller), so that `info locals` shows the task's own variables; 1 if none."""
    f = gdb.newest_frame().older()
    while f is not None:
        sal = f.find_sal()
        name = sal.symtab.filename if sal is not None and sal.symtab is not None else ""
        if name and "libloop/" not in name and "loop__ctx_start" != f.name():
            return f.level()
        f = f.older()
    return 1


UNWINDER = TaskUnwinder()
FILTER = HideThreadFrame()


def register():
    # Idempotent: sourcing the file twice replaces the earlier registration.
    gdb.unwinder.register_unwinder(None, UNWINDER, replace=True)
    gdb.frame_filters[FILTER.name] = FILTER
    InfoLoopTasks()
    InfoLoopHandles()
    LoopTask()
    # The view ends when the program runs again or goes away.
    gdb.events.cont.connect(lambda ev: UNWINDER.regs is not None and switch_back())
    gdb.events.exited.connect(lambda ev: UNWINDER.regs is not None and switch_back())


register()
