/*
 * timeline_view.js — the viewer of `loop-analyze timeline --html`, compiled
 * into loop-analyze (timeline_html.c) and written into each page. No
 * network, no library: a canvas, drawn again on every view change.
 *
 * Data (the #tl-data script): rows [label, site, isLoop, parentRow, loop, pid];
 * iv[row] = flat [start, dur, state, label, wakerRow] in ns from the window's
 * start, sorted by start; labels; marks [row, ts, dur, kind, text].
 * States: 1 waiting on time/I/O (a loop: polling), 2 waiting on a task, lock
 * or sync object, 3 ready, 4 running (a loop: a callback).
 *
 * Per pixel column the row shows the state it spent most of the column's
 * time in (time outside every interval counts as nothing), never "any
 * slice touches it". The page sets data-* attributes on <body> for tests:
 * data-rows (rows), data-drawn (rows drawn last), data-marks (findings
 * listed), data-errors (script errors), data-view (the window, ns); with
 * #selftest in the address also data-share (per row, the share of 1000
 * columns in each state) and it clicks the first finding.
 */
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("tl-data").textContent);
  const body = document.body;
  const errors = [];
  window.addEventListener("error", (e) => {
    errors.push(String(e.message));
    body.dataset.errors = String(errors.length);
  });
  body.dataset.errors = "0";

  const COLORS = ["", "#9ecae1", "#fd8d3c", "#fdd835", "#2ca02c"];
  const LOOP_COLORS = ["", "#e0e0e0", "#fd8d3c", "#fdd835", "#6a3d9a"];
  const NAMES = ["", "waiting on time or I/O", "waiting on a task, lock or sync object", "ready",
    "running"];
  const LABEL_W = 260, ROW_H = 18, AXIS_H = 28, PANEL_W = 320;
  const nrows = D.rows.length;

  const style = document.createElement("style");
  style.textContent = `
body{margin:0;font:13px sans-serif;display:flex;flex-direction:column;height:100vh}
#hdr{padding:6px 10px;border-bottom:1px solid #ccc}
#hdr .k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
#main{flex:1;display:flex;min-height:0}
#view{flex:1;position:relative;overflow-y:auto;overflow-x:hidden}
#spacer{width:1px}
#cv{position:sticky;top:0;left:0;display:block;cursor:grab}
#panel{width:${PANEL_W}px;border-left:1px solid #ccc;overflow-y:auto;padding:0 8px}
#panel li{cursor:pointer;margin:4px 0}
#panel li:hover{background:#eef}
#tip{position:fixed;pointer-events:none;background:#fffbe6;border:1px solid #aaa;padding:4px 6px;
 font:12px monospace;white-space:pre;display:none;z-index:2}`;
  document.head.appendChild(style);

  body.innerHTML = `<div id="hdr"><b>libloop timeline</b> <span id="ttl"></span>
<span id="legend"></span> <label><input type="checkbox" id="arrows"> spawn/wake arrows</label>
<button id="reset">reset zoom (0)</button> <span id="hint">wheel: scroll rows · ctrl+wheel or +/−: zoom ·
drag or ←/→: pan</span></div>
<div id="main"><div id="view"><canvas id="cv"></canvas><div id="spacer"></div></div>
<div id="panel"><h3>Findings</h3><ul id="findings"></ul></div></div><div id="tip"></div>`;
  body.dataset.rows = String(nrows);
  document.getElementById("ttl").textContent =
    `${D.title} — ${D.events} events, ${fmtDur(D.span)} from +${D.origin.toFixed(6)} s, ${nrows} rows`;
  const legend = document.getElementById("legend");
  for (let s = 1; s <= 4; s++) {
    const k = document.createElement("span");
    k.className = "k";
    k.style.background = COLORS[s];
    legend.appendChild(k);
    legend.appendChild(document.createTextNode(NAMES[s]));
  }
  for (const [s, what] of [[4, "loop: a callback"], [1, "loop: polling"]]) {
    const k = document.createElement("span");
    k.className = "k";
    k.style.background = LOOP_COLORS[s];
    legend.appendChild(k);
    legend.appendChild(document.createTextNode(what));
  }

  const view = document.getElementById("view");
  const cv = document.getElementById("cv");
  const spacer = document.getElementById("spacer");
  const tip = document.getElementById("tip");
  const arrows = document.getElementById("arrows");
  const ctx = cv.getContext("2d");
  let v0 = 0, v1 = Math.max(D.span, 1); /* the visible time window, ns */
  let flash = null; /* a mark to outline */

  function fmtDur(ns) {
    if (ns < 1e3) return `${ns} ns`;
    if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} us`;
    if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
    return `${(ns / 1e9).toPrecision(4)} s`;
  }

  /* first interval of row r whose end is at or after t (ends are sorted: a row's intervals do not overlap) */
  function firstAt(iv, t) {
    let lo = 0, hi = iv.length / 5;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (iv[mid * 5] + iv[mid * 5 + 1] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /* Per column of width w over [a, b): the dominant state code (0: nothing). */
  function columns(r, a, b, w) {
    const iv = D.iv[r], acc = new Float64Array(w * 5), out = new Uint8Array(w);
    const colw = (b - a) / w;
    for (let i = firstAt(iv, a); i * 5 < iv.length; i++) {
      const s = iv[i * 5], e = s + iv[i * 5 + 1], st = iv[i * 5 + 2];
      if (s >= b) break;
      const lo = Math.max(s, a), hi = Math.min(e, b);
      let ka = Math.floor((lo - a) / colw), kb = Math.floor((hi - a) / colw);
      if (kb >= w) kb = w - 1;
      if (ka >= w) ka = w - 1;
      for (let k = ka; k <= kb; k++) {
        const cl = a + k * colw, ch = cl + colw;
        const d = Math.min(hi, ch) - Math.max(lo, cl);
        acc[k * 5 + st] += d > 0 ? d : (ka === kb ? colw * 1e-6 : 0);
      }
    }
    for (let k = 0; k < w; k++) {
      let best = 0, top = 0, cov = 0;
      for (let s = 1; s <= 4; s++) {
        const x = acc[k * 5 + s];
        cov += x;
        if (x > 0 && x >= top) { top = x; best = s; }
      }
      out[k] = colw - cov > top ? 0 : best;
    }
    return out;
  }

  /* The share of row r's columns in each state over the whole window (tests). */
  function share(r, w) {
    const cols = columns(r, 0, Math.max(D.span, 1), w || 1000), n = [0, 0, 0, 0, 0];
    for (const s of cols) n[s]++;
    return n.map((x) => x / cols.length);
  }
  window.libloopTimeline = { share, data: D, zoomTo, render };

  function niceStep(span, px) {
    const target = span / Math.max(2, Math.floor(px / 110));
    const p = Math.pow(10, Math.floor(Math.log10(target)));
    for (const m of [1, 2, 5, 10]) if (m * p >= target) return m * p;
    return 10 * p;
  }

  function tickLabel(t, step) {
    const secs = (D.origin * 1e9 + t) / 1e9;
    const digits = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / 1e9) + 1e-9)));
    return `+${secs.toFixed(digits)}s`;
  }

  function resize() {
    const w = view.clientWidth, h = view.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    cv.width = Math.max(1, Math.floor(w * dpr));
    cv.height = Math.max(1, Math.floor(h * dpr));
    cv.style.width = `${w}px`;
    cv.style.height = `${h}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    spacer.style.height = `${Math.max(0, AXIS_H + nrows * ROW_H - h)}px`;
    render();
  }

  function xOf(t, w) { return LABEL_W + (t - v0) / (v1 - v0) * w; }

  function render() {
    const W = cv.clientWidth, H = cv.clientHeight, w = Math.max(1, W - LABEL_W);
    const top = view.scrollTop, firstRow = Math.floor(top / ROW_H);
    const visible = Math.ceil((H - AXIS_H) / ROW_H) + 1;
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px monospace";
    ctx.textBaseline = "middle";
    /* axis: distinct labels at any zoom, none cut off at the right edge */
    const step = niceStep(v1 - v0, w);
    ctx.fillStyle = "#333";
    ctx.strokeStyle = "#e4e4e4";
    let lastRight = -1;
    for (let t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
      const x = xOf(t, w), label = tickLabel(t, step), lw = ctx.measureText(label).width;
      ctx.beginPath();
      ctx.moveTo(x + 0.5, AXIS_H - 6);
      ctx.lineTo(x + 0.5, H);
      ctx.stroke();
      const lx = Math.min(x + 2, W - lw - 2);
      if (lx > lastRight + 8 && lx >= LABEL_W) {
        ctx.fillText(label, lx, 10);
        lastRight = lx + lw;
      }
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS_H, W, H - AXIS_H);
    ctx.clip();
    let drawn = 0;
    for (let i = 0; i < visible; i++) {
      const r = firstRow + i;
      if (r >= nrows) break;
      const y = AXIS_H + i * ROW_H - (top % ROW_H);
      if (y + ROW_H < AXIS_H) continue;
      const row = D.rows[r], colors = row[2] ? LOOP_COLORS : COLORS;
      const cols = columns(r, v0, v1, Math.floor(w));
      for (let k = 0; k < cols.length;) {
        let e = k + 1;
        while (e < cols.length && cols[e] === cols[k]) e++;
        if (cols[k]) {
          ctx.fillStyle = colors[cols[k]];
          ctx.fillRect(LABEL_W + k, y + 2, e - k, ROW_H - 4);
        }
        k = e;
      }
      drawn++;
    }
    /* findings on their rows */
    for (const mk of D.marks) {
      const i = mk[0] - firstRow;
      if (i < 0 || i >= visible) continue;
      const y = AXIS_H + i * ROW_H - (top % ROW_H);
      const x0 = Math.max(LABEL_W, xOf(mk[1], w)), x1 = Math.min(W, xOf(mk[1] + mk[2], w));
      if (x1 < LABEL_W || x0 > W) continue;
      ctx.strokeStyle = mk === flash ? "#000" : "#d62728";
      ctx.lineWidth = mk === flash ? 3 : 2;
      ctx.strokeRect(x0, y + 1, Math.max(2, x1 - x0), ROW_H - 2);
      ctx.fillStyle = "#d62728";
      ctx.beginPath();
      ctx.moveTo(x0, y + 1);
      ctx.lineTo(x0 + 6, y + 1);
      ctx.lineTo(x0, y + 8);
      ctx.fill();
      ctx.lineWidth = 1;
    }
    if (arrows.checked) drawArrows(firstRow, visible, top, w);
    ctx.restore();
    /* labels last, over anything that spilled left */
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, LABEL_W, H);
    ctx.fillStyle = "#333";
    ctx.fillText(`window ${fmtDur(v1 - v0)}`, 4, 10);
    for (let i = 0; i < visible; i++) {
      const r = firstRow + i;
      if (r >= nrows) break;
      const y = AXIS_H + i * ROW_H - (top % ROW_H);
      if (y < AXIS_H - 2) continue;
      ctx.fillStyle = D.rows[r][2] ? "#6a3d9a" : "#222";
      ctx.fillText(D.rows[r][0].slice(0, 36), 4, y + ROW_H / 2);
    }
    body.dataset.drawn = String(drawn);
    body.dataset.view = `${Math.round(v0)},${Math.round(v1)}`;
  }

  function drawArrows(firstRow, visible, top, w) {
    const yOf = (r) => AXIS_H + (r - firstRow) * ROW_H - (top % ROW_H) + ROW_H / 2;
    const inView = (r) => r >= firstRow && r < firstRow + visible;
    ctx.lineWidth = 1;
    for (let r = firstRow; r < Math.min(nrows, firstRow + visible); r++) {
      const iv = D.iv[r];
      /* wakeups into visible rows from visible rows */
      for (let i = firstAt(iv, v0); i * 5 < iv.length && iv[i * 5] <= v1; i++) {
        const waker = iv[i * 5 + 4];
        if (waker < 0 || !inView(waker)) continue;
        const x = xOf(iv[i * 5], w);
        ctx.strokeStyle = "#1f77b4";
        ctx.beginPath();
        ctx.moveTo(x, yOf(waker));
        ctx.lineTo(x, yOf(r));
        ctx.stroke();
      }
      const p = D.rows[r][3];
      if (p >= 0 && inView(p) && D.iv[r].length) {
        const x = xOf(D.iv[r][0], w);
        ctx.strokeStyle = "#7f7f7f";
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(x, yOf(p));
        ctx.lineTo(x, yOf(r));
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
  }

  function zoomAt(factor, px) {
    const w = Math.max(1, cv.clientWidth - LABEL_W);
    const f = Math.min(1, Math.max(0, (px - LABEL_W) / w));
    const t = v0 + f * (v1 - v0);
    let span = Math.max(50, (v1 - v0) * factor);
    span = Math.min(span, Math.max(D.span, 1));
    v0 = Math.max(0, t - f * span);
    v1 = v0 + span;
    if (v1 > D.span) { v1 = Math.max(D.span, 1); v0 = Math.max(0, v1 - span); }
    render();
  }

  function pan(dt) {
    const span = v1 - v0;
    v0 = Math.min(Math.max(0, v0 + dt), Math.max(0, D.span - span));
    v1 = v0 + span;
    render();
  }

  function zoomTo(a, b) {
    v0 = Math.max(0, a);
    v1 = Math.min(Math.max(D.span, 1), Math.max(b, a + 50));
    render();
  }

  view.addEventListener("scroll", render);
  window.addEventListener("resize", resize);
  cv.addEventListener("wheel", (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey) {
      e.preventDefault();
      zoomAt(e.deltaY > 0 ? 1.25 : 0.8, e.offsetX);
    }
  }, { passive: false });
  let drag = null;
  cv.addEventListener("mousedown", (e) => { drag = { x: e.clientX, v0 }; cv.style.cursor = "grabbing"; });
  window.addEventListener("mouseup", () => { drag = null; cv.style.cursor = "grab"; });
  window.addEventListener("mousemove", (e) => {
    if (drag) {
      const w = Math.max(1, cv.clientWidth - LABEL_W), span = v1 - v0;
      const nv0 = drag.v0 - (e.clientX - drag.x) / w * span;
      v0 = Math.min(Math.max(0, nv0), Math.max(0, D.span - span));
      v1 = v0 + span;
      render();
    }
  });
  window.addEventListener("keydown", (e) => {
    const span = v1 - v0;
    if (e.key === "+" || e.key === "=" || e.key === "w") zoomAt(0.8, LABEL_W + (cv.clientWidth - LABEL_W) / 2);
    else if (e.key === "-" || e.key === "s") zoomAt(1.25, LABEL_W + (cv.clientWidth - LABEL_W) / 2);
    else if (e.key === "ArrowLeft" || e.key === "a") pan(-span / 10);
    else if (e.key === "ArrowRight" || e.key === "d") pan(span / 10);
    else if (e.key === "0") zoomTo(0, D.span);
  });
  document.getElementById("reset").addEventListener("click", () => zoomTo(0, D.span));
  arrows.addEventListener("change", render);

  /* hover: the row, its site, and the interval under the cursor */
  cv.addEventListener("mousemove", (e) => {
    const W = cv.clientWidth, w = Math.max(1, W - LABEL_W);
    const r = Math.floor((e.offsetY - AXIS_H + view.scrollTop % ROW_H) / ROW_H) + Math.floor(view.scrollTop / ROW_H);
    if (drag || e.offsetY < AXIS_H || r < 0 || r >= nrows) { tip.style.display = "none"; return; }
    const row = D.rows[r];
    let text = row[0] + (row[1] ? `\nspawned at ${row[1]}` : "");
    if (e.offsetX >= LABEL_W) {
      const t = v0 + (e.offsetX - LABEL_W) / w * (v1 - v0), iv = D.iv[r];
      const i = firstAt(iv, t);
      if (i * 5 < iv.length && iv[i * 5] <= t) {
        text += `\n${NAMES[iv[i * 5 + 2]]}: ${D.labels[iv[i * 5 + 3]]}\n` +
          `+${((D.origin * 1e9 + iv[i * 5]) / 1e9).toFixed(6)} s for ${fmtDur(iv[i * 5 + 1])}`;
        if (iv[i * 5 + 4] >= 0) text += `\nwoken by ${D.rows[iv[i * 5 + 4]][0]}`;
      }
      for (const mk of D.marks) {
        if (mk[0] === r && t >= mk[1] - (v1 - v0) / w * 4 && t <= mk[1] + mk[2]) text += `\n⚠ ${mk[4]}`;
      }
    }
    tip.textContent = text;
    tip.style.display = "block";
    tip.style.left = `${e.clientX + 12}px`;
    tip.style.top = `${e.clientY + 12}px`;
  });
  cv.addEventListener("mouseleave", () => { tip.style.display = "none"; });

  /* the findings panel: click to jump */
  const ul = document.getElementById("findings");
  if (D.marks.length === 0) {
    const li = document.createElement("li");
    li.textContent = "none";
    ul.appendChild(li);
  }
  D.marks.forEach((mk) => {
    const li = document.createElement("li");
    li.className = `finding ${mk[3]}`;
    li.textContent = `+${((D.origin * 1e9 + mk[1]) / 1e9).toFixed(6)} s ${D.rows[mk[0]][0]}: ${mk[4]}`;
    li.addEventListener("click", () => {
      const pad = Math.max(mk[2], (v1 - v0) / 20, 1000);
      flash = mk;
      view.scrollTop = Math.max(0, (mk[0] - 3) * ROW_H);
      zoomTo(mk[1] - pad, mk[1] + mk[2] + pad);
    });
    ul.appendChild(li);
  });
  body.dataset.marks = String(D.marks.length);
  resize();
  /* #selftest (the browser test): each row's share of columns per state, then a jump to the first finding */
  if (location.hash === "#selftest") {
    const shares = [];
    for (let r = 0; r < Math.min(nrows, 200); r++) shares.push(share(r, 1000).map((x) => +x.toFixed(4)));
    body.dataset.share = JSON.stringify(shares);
    const first = ul.querySelector("li.finding");
    if (first) first.click();
  }
})();
