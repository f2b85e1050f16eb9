"""Review in motion: a frame-accurate player of the annotated video with the frame's numbers
beside it, and two players (two sessions, or two reps) synchronised at each rep's start and
bottom with their numbers next to each other.

The numbers of every frame are `overlay.frame_values` (what the video draws on that frame, the
one definition), computed here once and sent with the video; the browser only looks them up,
so scrubbing, stepping and slow motion never wait for the server. The video travels inside the
page (as base64, turned into a Blob URL), bounded by MAX_VIDEO_BYTES.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from formcheck.values import fmt_num

MAX_VIDEO_BYTES = 60 * 1024 * 1024   # larger annotated videos are not sent to the browser
SPEEDS = (0.1, 0.25, 0.5, 1.0)
NOT_FROM_FRONT = "not visible from the front"


def review_data(analysis) -> dict:
    """Per frame of analysis.clean_seq, the numbers the annotated video draws on it (from
    overlay.frame_values, formatted for people), the frame times in the annotated video
    (seconds from its first frame, as render.write_annotated writes them) and the reps."""
    from formcheck.overlay import frame_values

    t = np.asarray(analysis.clean_seq.t_s, float)
    n = len(t)
    cols: dict[str, list] = {"rep": [], "reported": [], "kot": [], "knee": [], "thigh": [],
                             "depth": []}
    for i in range(n):
        v = frame_values(analysis, i)
        cols["rep"].append(None if v.rep is None else int(analysis.metrics[v.rep].index)
                           if v.rep < len(analysis.metrics) else v.rep + 1)
        cols["reported"].append(bool(v.from_report))
        cols["kot"].append(NOT_FROM_FRONT if v.view == "front" else
                           fmt_num(v.knee_over_toe_ratio, "+.2f", " foot lengths"))
        cols["knee"].append(fmt_num(v.knee_flexion_deg, ".0f", "°"))
        cols["thigh"].append(fmt_num(v.thigh_deg, "+.0f", "°"))
        cols["depth"].append(fmt_num(v.depth, ".2f"))
    vt = [round(float(x - t[0]), 4) for x in t] if n else []
    reps = [{"n": int(m.index), "start": int(r.start_i), "bottom": int(r.bottom_i),
             "end": int(r.end_i)} for r, m in zip(analysis.reps, analysis.metrics)]
    dt = float(np.median(np.diff(t))) if n > 1 else 1 / 30
    return {"vt": vt, "frame_s": round(dt, 5), "reps": reps, "cols": cols}


def player_spec(analysis, video_path, title: str, rep_index: int | None = None) -> dict | None:
    """One player: the annotated video (None when it is missing or too large to send), its
    title, its frames' numbers and the rep (0-based) a comparison synchronises on."""
    path = Path(video_path) if video_path else None
    if path is None or not path.is_file() or path.stat().st_size > MAX_VIDEO_BYTES:
        return None
    return {"title": title, "mime": "video/mp4",
            "b64": base64.b64encode(path.read_bytes()).decode("ascii"),
            "rep": rep_index, **review_data(analysis)}


def player_html(players: list[dict]) -> str:
    """The page of one player (scrub, step, slow motion) or two synchronised ones."""
    data = json.dumps({"players": players, "speeds": SPEEDS})
    return _HTML.replace("__DATA__", data.replace("</", "<\\/"))


def show(players: list[dict], height: int, key: str | None = None) -> None:
    """Draw the player(s) on the page."""
    import streamlit.components.v1 as components

    components.html(player_html(players), height=height, scrolling=False)


_HTML = r"""<!doctype html>
<html><head><meta charset="utf-8"><style>
  body { margin: 0; font-family: "Source Sans Pro", "Source Sans 3", sans-serif; color: #31333f;
         font-size: 15px; }
  #fc-review { display: flex; flex-direction: column; gap: 8px; }
  .row { display: flex; gap: 10px; align-items: flex-start; }
  .pl { flex: 1 1 0; min-width: 0; display: flex; flex-direction: column; gap: 4px; }
  .pl .title { font-weight: 600; font-size: 14px; white-space: nowrap; overflow: hidden;
               text-overflow: ellipsis; }
  video { width: 100%; max-height: 400px; background: #111; border-radius: 6px; }
  .single video { max-height: 430px; }
  .vals { flex: 0 0 38%; min-width: 150px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e6e9ef;
           vertical-align: top; }
  th { font-weight: 600; color: #555; }
  td.num { font-variant-numeric: tabular-nums; font-weight: 600; }
  .note { font-size: 12px; color: #666; }
  .ctrl { display: flex; flex-direction: column; gap: 6px; }
  input[type=range] { width: 100%; margin: 0; height: 28px; }
  .btns { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
  button, select { font: inherit; font-size: 14px; padding: 5px 10px; border-radius: 8px;
                   border: 1px solid #d0d3da; background: #fff; cursor: pointer;
                   min-height: 34px; }
  button.primary { background: #ff4b4b; color: #fff; border-color: #ff4b4b; }
  button:disabled { opacity: .45; cursor: default; }
  .pos { font-size: 13px; color: #555; font-variant-numeric: tabular-nums; }
  @media (max-width: 520px) {
    body { font-size: 13px; } table { font-size: 12.5px; } th, td { padding: 3px 4px; }
    button, select { font-size: 13px; padding: 4px 7px; }
    .vals { min-width: 130px; } video { max-height: 300px; } .single video { max-height: 330px; }
  }
</style></head><body>
<div id="fc-review"></div>
<script>
const DATA = __DATA__;
const P = DATA.players;
const root = document.getElementById("fc-review");
const two = P.length > 1;
const ROWS = [["kot", "Knee past toes"], ["knee", "Knee bend"], ["thigh", "Thigh angle"],
              ["depth", "Depth (0 standing, 1 thigh level)"]];

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function blobUrl(b64, mime) {
  const bin = atob(b64); const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], {type: mime}));
}
function frameAt(p, t) {            // the last frame shown at or before video time t
  const vt = p.vt; let lo = 0, hi = vt.length - 1;
  if (t <= vt[0]) return 0;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (vt[mid] <= t + 1e-3) lo = mid; else hi = mid - 1; }
  return lo;
}
function timeOf(p, i) { return p.vt[Math.max(0, Math.min(p.vt.length - 1, i))] + Math.min(0.004, p.frame_s / 4); }

// ---- layout
const row = el("div", {class: "row" + (two ? "" : " single")});
root.appendChild(row);
P.forEach((p, k) => {
  const box = el("div", {class: "pl"});
  if (two) box.appendChild(el("div", {class: "title", title: p.title}, p.title));
  p.video = el("video", {id: "v" + k, muted: "", playsinline: "", preload: "auto"});
  p.video.muted = true;
  p.video.src = blobUrl(p.b64, p.mime);
  box.appendChild(p.video);
  row.appendChild(box);
});
const vals = el("div", {class: "vals"});
const table = el("table", {id: "fc-values"});
const head = el("tr"); head.appendChild(el("th", {}, two ? "" : "This frame"));
if (two) P.forEach((p, k) => head.appendChild(el("th", {}, ["Earlier", "Later"][k] || p.title)));
table.appendChild(head);
const cells = {};
for (const [key, label] of [["pos", "Frame"], ["rep", "Rep"], ...ROWS]) {
  const tr = el("tr"); tr.appendChild(el("th", {}, label));
  P.forEach((p, k) => { const td = el("td", {id: "c" + k + "-" + key, class: "num"}); tr.appendChild(td); cells[k + key] = td; });
  if (!two) tr.firstChild.textContent = label;
  table.appendChild(tr);
}
vals.appendChild(table);
vals.appendChild(el("div", {class: "note"}, "At a rep's bottom the numbers are the rep's reported values (the table's); elsewhere the frame's own."));
if (two) root.appendChild(vals); else row.appendChild(vals);

const ctrl = el("div", {class: "ctrl"});
const slider = el("input", {type: "range", min: 0, max: P[0].vt.length - 1, step: 1, value: 0, id: "fc-slider", "aria-label": "Frame"});
const btns = el("div", {class: "btns"});
const B = {};
function button(id, text, title) { const b = el("button", {id: id, title: title}, text); btns.appendChild(b); B[id] = b; return b; }
if (two) {
  button("fc-start", "⏮ Rep start", "Both videos to the start of their rep");
  button("fc-prev", "◀ 1 frame", "One frame back");
  button("fc-play", "▶ Play both", "Play both reps in step");
  B["fc-play"].classList.add("primary");
  button("fc-next", "1 frame ▶", "One frame on");
  button("fc-bottom", "Bottom ⏭", "Both videos to the bottom of their rep");
} else {
  button("fc-prevrep", "⏮ Rep", "The bottom of the previous rep");
  button("fc-prev", "◀ 1 frame", "One frame back");
  button("fc-play", "▶ Play", "Play (at the speed chosen)");
  B["fc-play"].classList.add("primary");
  button("fc-next", "1 frame ▶", "One frame on");
  button("fc-nextrep", "Rep ⏭", "The bottom of the next rep");
}
const speed = el("select", {id: "fc-speed", "aria-label": "Speed"});
for (const s of DATA.speeds) { const o = el("option", {value: s}, (s === 1 ? "normal speed" : s + "× slow motion")); speed.appendChild(o); }
speed.value = "0.25";
btns.appendChild(speed);
const pos = el("span", {class: "pos", id: "fc-pos"});
btns.appendChild(pos);
ctrl.appendChild(slider); ctrl.appendChild(btns);
root.insertBefore(ctrl, two ? vals : null);

// ---- synchronisation: B's time from A's, piecewise linear through rep start, bottom, end
const A = P[0];
function points(p) {
  const r = p.reps[p.rep == null ? 0 : p.rep];
  return r ? [p.vt[r.start], p.vt[r.bottom], p.vt[r.end]] : [0, 0, 0];
}
function mapTime(t) {
  const a = points(A), b = points(P[1]);
  if (t < a[0]) return [b[0] + (t - a[0]), 1];
  if (t > a[2]) return [b[2] + (t - a[2]), 1];
  const s = t <= a[1] ? 0 : 1;
  const da = a[s + 1] - a[s];
  const slope = da > 1e-6 ? (b[s + 1] - b[s]) / da : 1;
  return [b[s] + (t - a[s]) * slope, slope];
}

// ---- state
let playing = false, stopAt = null;
function show() {
  P.forEach((p, k) => {
    const i = frameAt(p, p.video.currentTime);
    const c = p.cols;
    cells[k + "pos"].textContent = (i + 1) + " of " + p.vt.length + " · " + p.vt[i].toFixed(2) + " s";
    cells[k + "rep"].textContent = c.rep[i] == null ? "between reps" :
      c.rep[i] + (c.reported[i] ? " · bottom (reported values)" : "");
    for (const [key] of ROWS) cells[k + key].textContent = c[key][i];
    p.frame = i;
  });
  slider.value = A.frame;
  pos.textContent = "frame " + (A.frame + 1) + " / " + A.vt.length;
  B["fc-play"].textContent = playing ? "⏸ Pause" : (two ? "▶ Play both" : "▶ Play");
}
function follow(seek) {
  if (!two) return;
  const [tb, slope] = mapTime(A.video.currentTime);
  const v = P[1].video;
  const target = Math.max(0, Math.min(tb, P[1].vt[P[1].vt.length - 1]));
  if (seek || Math.abs(v.currentTime - target) > 0.05) v.currentTime = target;
  if (playing) v.playbackRate = Math.max(0.0625, Math.min(4, A.video.playbackRate * slope));
}
function seekFrame(i) {
  pause();
  A.video.currentTime = timeOf(A, i);
  follow(true);
}
function pause() {
  playing = false; stopAt = null;
  P.forEach(p => p.video.pause());
}
function play() {
  const rate = parseFloat(speed.value);
  if (two) {
    const a = points(A);
    if (A.video.currentTime >= a[2] - 1e-3) { A.video.currentTime = timeOf(A, A.reps[A.rep || 0].start); }
    stopAt = a[2];
  } else if (A.frame >= A.vt.length - 1) {
    A.video.currentTime = 0;
  }
  playing = true;
  A.video.playbackRate = rate;
  follow(true);
  P.forEach(p => p.video.play());
  tick();
}
function tick() {
  if (!playing) return;
  if (stopAt !== null && A.video.currentTime >= stopAt) { pause(); A.video.currentTime = stopAt; follow(true); }
  else follow(false);
  show();
  if (playing) requestAnimationFrame(tick);
}
function repBottom(dir) {
  const i = A.frame, reps = A.reps;
  let pick = null;
  for (const r of reps) {
    if (dir > 0 && r.bottom > i) { pick = r; break; }
    if (dir < 0 && r.bottom < i) pick = r;
  }
  if (pick) seekFrame(pick.bottom);
}
B["fc-play"].onclick = () => playing ? pause() : play();
B["fc-prev"].onclick = () => seekFrame(A.frame - 1);
B["fc-next"].onclick = () => seekFrame(A.frame + 1);
if (two) {
  B["fc-start"].onclick = () => seekFrame(A.reps[A.rep || 0].start);
  B["fc-bottom"].onclick = () => seekFrame(A.reps[A.rep || 0].bottom);
} else {
  B["fc-prevrep"].onclick = () => repBottom(-1);
  B["fc-nextrep"].onclick = () => repBottom(1);
}
slider.oninput = () => seekFrame(parseInt(slider.value, 10));
speed.onchange = () => { if (playing) { A.video.playbackRate = parseFloat(speed.value); follow(false); } };
P.forEach(p => { p.frame = 0; p.video.addEventListener("seeked", show); p.video.addEventListener("loadeddata", show);
                 p.video.addEventListener("ended", () => { if (p === A) pause(); show(); }); });
A.video.addEventListener("loadeddata", () => {
  if (two && A.reps.length) seekFrame(A.reps[A.rep || 0].start);
});
window.fcReview = {players: P, seekFrame, play, pause, mapTime, points};
show();
</script></body></html>
"""
