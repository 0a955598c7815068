// 监察看板: windows, queues and open alerts of the hall, live.
//
// Data: GET /api/v1/board (one snapshot). Live: the hall's Socket.IO room; any event asks
// for a fresh board, at most once a second; an `alert` event updates the alert list at
// once. Countdowns and idle times tick here every second from the server's timestamps,
// with the page's clock corrected by the offset measured on each read. The arrivals
// forecast (board.forecast) is drawn with Chart.js, again only when it changed. From a
// window's card or an alert a supervisor urges that window (催办) or admonishes the person
// signed in at it (效能告诫, the alert as its evidence): admin/supervise.js.
import { connectLive, fill, text } from "/display/static/hall-live.js";
import { alertWords } from "/web/static/alert-words.js";
import { Api } from "/web/static/api.js";
import { admonish, askAdmonition, askUrge, urge } from "./supervise.js";

const ds = document.body.dataset;
const strings = document.getElementById("strings");
// signed out elsewhere (401) or no longer a supervisor (403): reloading shows why
const reload = () => window.location.reload();
const api = new Api({ locale: ds.locale, onUnauthorized: reload });
const $ = (id) => document.getElementById(id);
const MIN_REFRESH_MS = 1000;

const page = {
  board: null, offset: 0, alerts: new Map(), live: null, loads: 0,
  forecastDrawn: null, forecastChart: null,
};
window.hallBoard = page;

function S(name, values) {
  const s = strings.getAttribute(`data-${name}`);
  if (s == null) return null;
  return values ? fill(s, values) : s;
}

function serverNow() {
  return Date.now() + page.offset;
}

function secondsSince(iso) {
  return iso ? Math.max(0, (serverNow() - Date.parse(iso)) / 1000) : null;
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

let wallClock = null;
function wall(at) {
  if (!wallClock) {
    wallClock = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: (page.board && page.board.hall.timezone) || ds.tz || "Asia/Shanghai",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
  }
  return wallClock.format(at);
}

// --- reading the board ---------------------------------------------------------------

async function load() {
  const sent = Date.now();
  let board;
  try {
    board = await api.get("/api/v1/board");
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      reload(); // signed out elsewhere: the server shows the sign-in page
      return;
    }
    throw err;
  }
  const received = Date.now();
  page.offset = Date.parse(board.now) - (sent + received) / 2;
  page.board = board;
  page.alerts = new Map(board.alerts.map((a) => [a.id, a]));
  page.loads += 1;
  renderAll();
}

let timer = null;
let lastLoad = 0;
let loading = false;
let again = false;

function schedule() {
  if (timer) return;
  timer = setTimeout(refresh, Math.max(0, MIN_REFRESH_MS - (Date.now() - lastLoad)));
}

async function refresh() {
  timer = null;
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  lastLoad = Date.now();
  try {
    await load();
  } catch (err) {
    console.error("board: read failed", err);
    again = true;
  } finally {
    loading = false;
    if (again) {
      again = false;
      schedule();
    }
  }
}

// --- drawing -------------------------------------------------------------------------

function el(tag, cls, value) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (value != null) e.textContent = value;
  return e;
}

function counterNumber(id) {
  const c = page.board && page.board.counters.find((x) => x.id === id);
  return c ? c.number : "?";
}

function visitClock(cur) {
  // the time-limit state of a visit being served, ticking from its start
  const c = cur.clock;
  if (!c || !cur.started_at) return null;
  const elapsed = secondsSince(cur.started_at);
  if (c.limit_s == null) return { state: "ok", label: S("no-limit") };
  const left = c.limit_s - elapsed;
  let state = "ok";
  if (elapsed >= c.limit_s) state = "over";
  else if (c.warning_s != null && elapsed >= c.warning_s) state = "warning";
  const label = left >= 0 ? S("left", { time: duration(left) })
    : S("over", { time: duration(-left) });
  return { state, label };
}

// a name the card may cut short ("…", admin.css): the whole of it as its title
function named(tag, cls, value) {
  const e = el(tag, cls, value);
  e.title = value;
  return e;
}

function windowCard(c, alerting) {
  const card = el("article", `win state-${c.state}`);
  card.id = `window-${c.number}`;
  card.dataset.counter = c.id;
  if (alerting.has(c.id)) card.classList.add("has-alert");
  const head = el("header", "win-head");
  head.append(el("b", "win-number", S("window", { counter: c.number })),
              named("span", "win-name", c.name),
              el("span", `badge badge-${c.state}`, S(`state-${c.state}`) || c.state));
  card.append(head);
  card.append(named("div", "win-staff", c.staff ? `${c.staff.name}${c.staff.number ?
    ` (${c.staff.number})` : ""}` : S("nobody")));
  const cur = c.current;
  if (cur) {
    const line = el("div", "win-visit");
    line.append(el("span", "ticket", cur.number), named("span", "win-service", cur.service || ""),
                el("span", `badge badge-${cur.state}`, S(`state-${cur.state}`) || cur.state));
    card.append(line);
    if (cur.state === "serving") {
      const clock = visitClock(cur);
      if (clock) {
        card.classList.add(`limit-${clock.state}`);
        card.append(el("div", `win-clock clock-${clock.state}`, clock.label));
      }
    } else if (cur.called_at) {
      card.append(el("div", "win-clock", S("called-ago", { time:
        duration(secondsSince(cur.called_at)) })));
    }
  } else if (c.state === "open" && c.idle_since) {
    card.classList.add("idle");
    const idle = secondsSince(c.idle_since);
    const limit = page.board.thresholds.idle_minutes * 60;
    const slow = c.waiting > 0 && limit > 0 && idle >= limit;
    card.append(el("div", `win-clock win-idle${slow ? " clock-warning" : ""}`,
                   S("idle", { time: duration(idle) })));
  } else if (c.state === "paused") {
    card.append(el("div", "win-clock win-paused", S("paused-for", {
      time: duration(secondsSince(c.state_since)), reason: c.pause_reason || "" })));
  }
  // a closed window shows its count only when someone waits for it by name (a transfer):
  // they are waiting for nobody, and the board must not hide them
  if (c.state !== "closed" || c.waiting) {
    card.append(el("div", `win-waiting${c.waiting ? "" : " none"}`,
                   S("waiting-for", { n: c.waiting })));
  }
  card.append(superviseButtons(c.id, "", null));
  return card;
}

// 催办 this window; 效能告诫 to whoever is signed in at it (with the alert, if from one)
function superviseButtons(counterId, suggested, alert) {
  const box = el("div", "win-supervise");
  const urgeButton = el("button", "secondary small win-urge", S("urge"));
  urgeButton.type = "button";
  urgeButton.addEventListener("click", () => urgeWindow(counterId, suggested));
  box.append(urgeButton);
  const c = page.board.counters.find((x) => x.id === counterId);
  if (c && c.staff) {
    const warn = el("button", "secondary small win-admonish", S("admonish"));
    warn.type = "button";
    warn.title = c.staff.name;
    warn.addEventListener("click", () => admonishStaff(c, alert));
    box.append(warn);
  }
  return box;
}

function say(message, failed = false) {
  const box = $("board-message");
  box.classList.toggle("adm-error", failed);
  text(box, message);
}

async function urgeWindow(counterId, suggested) {
  const note = askUrge(S, suggested);
  if (!note) return;
  try {
    await urge(api, { counter_id: counterId }, note);
    say(S("urged", { counter: counterNumber(counterId) }));
  } catch (err) {
    say(String(err.message || err), true);
  }
}

async function admonishStaff(c, alert) {
  const asked = askAdmonition(S);
  if (!asked) return;
  const evidence = alert ? { evidence_kind: "alert", evidence_ref: String(alert.id) } : {};
  try {
    await admonish(api, { staff_id: c.staff.id }, asked, evidence);
    say(S("admonished", { name: c.staff.name }));
  } catch (err) {
    say(String(err.message || err), true);
  }
}

function renderWindows() {
  const alerting = new Set([...page.alerts.values()].map((a) => a.counter_id).filter(Boolean));
  $("windows").replaceChildren(...page.board.counters.map((c) => windowCard(c, alerting)));
}

function renderQueues() {
  const limit = page.board.thresholds.long_wait_minutes * 60;
  const rows = page.board.queues.map((q) => {
    const tr = el("tr");
    tr.id = `queue-${q.code}`;
    const name = el("td", "q-name");
    name.append(el("span", null, q.name), el("small", null, q.department || ""));
    const waited = q.oldest_issued_at ? secondsSince(q.oldest_issued_at) : null;
    tr.append(name, el("td", "num q-waiting", String(q.waiting)),
              el("td", `num q-longest${waited != null && limit > 0 && waited >= limit
                ? " late" : ""}`, waited == null ? "–" : duration(waited)),
              el("td", "num", String(q.open_counters)));
    return tr;
  });
  $("queues").replaceChildren(...rows);
}

function renderTotals() {
  const t = page.board.totals;
  text($("total-waiting"), String(t.waiting));
  text($("total-open"), String(t.open));
  text($("total-busy"), String(t.busy));
  text($("total-paused"), String(t.paused));
  text($("total-alerts"), String(page.alerts.size));
  $("totals").classList.toggle("has-critical",
    [...page.alerts.values()].some((a) => a.level === "critical"));
}

function alertText(a) {
  return alertWords(a, strings, (id) => counterNumber(id) ?? "?") || `${a.kind} ${a.key}`;
}

function alertVersion(a) {
  return JSON.stringify([a.level, a.kind, a.acked_at, a.ack_note, a.payload]);
}

function alertItem(a) {
  const li = el("li", `alert level-${a.level}${a.acked_at ? " acked" : ""}`);
  li.id = `alert-${a.id}`;
  li.dataset.id = a.id;
  li.dataset.kind = a.kind;
  li.dataset.version = alertVersion(a);
  const head = el("div", "alert-head");
  head.append(el("span", `badge badge-${a.level}`, S(`level-${a.level}`) || a.level),
              el("span", "alert-text", alertText(a)),
              el("time", "alert-time", S("raised", { time: wall(new Date(a.raised_at)) })));
  li.append(head);
  if (a.acked_at) {
    li.append(el("div", "alert-ack", S("acked", {
      time: wall(new Date(a.acked_at)), note: a.ack_note || "" })));
  } else {
    const form = el("form", "alert-form");
    const note = el("input");
    note.name = "note";
    note.maxLength = 500;
    note.placeholder = S("note");
    note.setAttribute("aria-label", S("note"));
    const button = el("button", null, S("ack"));
    button.type = "submit";
    const error = el("span", "adm-error");
    form.append(note, button, error);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      acknowledge(a.id, note.value.trim(), button, error);
    });
    li.append(form);
  }
  if (a.counter_id && page.board.counters.some((c) => c.id === a.counter_id)) {
    li.append(superviseButtons(a.counter_id, alertText(a), a));
  }
  return li;
}

function renderAlerts() {
  const list = $("alerts");
  const wanted = [...page.alerts.values()].sort((x, y) =>
    (y.raised_at > x.raised_at) - (y.raised_at < x.raised_at) || y.id - x.id);
  const old = new Map([...list.children].filter((li) => li.dataset.id)
    .map((li) => [Number(li.dataset.id), li]));
  const items = wanted.map((a) => {
    const li = old.get(a.id);
    // keep an unchanged item (and what is being typed into its note)
    return li && li.dataset.version === alertVersion(a) ? li : alertItem(a);
  });
  if (!items.length) items.push(el("li", "alerts-empty", S("no-alerts")));
  list.replaceChildren(...items);
  renderTotals();
}

// --- the arrivals forecast -------------------------------------------------------------

const hourLabel = (h) => `${String(h).padStart(2, "0")}:00`;
const decimal = (n) => String(Math.round(n * 10) / 10);

function renderForecast() {
  const f = page.board.forecast;
  const drawn = JSON.stringify(f);
  if (!f || drawn === page.forecastDrawn) return; // the hour or the day moved on: redraw
  page.forecastDrawn = drawn;
  const rest = f.rest_of_day;
  let summary = S("forecast-none"); // no open day of this weekday in the history
  if (f.hours.length) {
    summary = S("forecast-summary", {
      mean: decimal(rest.mean), min: rest.min, max: rest.max, n: f.days.length });
  } else if (f.days.length) {
    summary = S("forecast-done", { n: f.days.length }); // those days took none this late
  }
  text($("forecast-summary"), summary);
  $("forecast-rows").replaceChildren(...f.hours.map((h) => {
    const tr = el("tr");
    tr.append(el("td", null, hourLabel(h.hour)), el("td", "num", decimal(h.mean)),
              el("td", "num", `${h.min}–${h.max}`));
    return tr;
  }));
  drawForecast(f);
}

function drawForecast(f) {
  const Chart = window.Chart;
  const canvas = $("forecast-chart");
  canvas.hidden = !f.hours.length;
  if (!Chart || !f.hours.length) return; // the figures' table still says it all
  const data = {
    labels: f.hours.map((h) => hourLabel(h.hour)),
    datasets: [
      { type: "line", label: S("forecast-mean"), data: f.hours.map((h) => h.mean),
        borderColor: "#0b3c7d", backgroundColor: "#0b3c7d", pointRadius: 2 },
      { type: "bar", label: S("forecast-range"), data: f.hours.map((h) => [h.min, h.max]),
        backgroundColor: "rgba(122, 167, 224, 0.55)" },
    ],
  };
  if (page.forecastChart) {
    page.forecastChart.data = data;
    page.forecastChart.update();
    return;
  }
  page.forecastChart = new Chart(canvas, {
    data,
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

function renderAll() {
  renderWindows();
  renderQueues();
  renderAlerts();
  renderForecast();
  tick();
}

function tick() {
  if (!page.board) return;
  text($("board-clock"), wall(new Date(serverNow())));
  renderWindows();
  renderQueues();
}

// --- alerts --------------------------------------------------------------------------

function applyAlert(action, alert) {
  if (action === "cleared" || alert.cleared_at) page.alerts.delete(alert.id);
  else page.alerts.set(alert.id, alert);
  renderAlerts();
  renderWindows();
}

async function acknowledge(id, note, button, error) {
  button.disabled = true;
  error.textContent = "";
  try {
    applyAlert("acknowledged", await api.post(`/api/v1/alerts/${id}/ack`, { note }));
  } catch (err) {
    error.textContent = String(err.message || err);
    if (err.status === 409) schedule(); // acknowledged by someone else meanwhile
  } finally {
    button.disabled = false;
  }
}

// --- start ---------------------------------------------------------------------------

function status(state) {
  text($("live-state"), state === "live" ? "●" : S("offline"));
  $("live-state").className = `live-${state}`;
}

async function start() {
  await refresh();
  if (!page.board) return;
  page.live = connectLive({
    room: `hall:${page.board.hall.id}`,
    lastSeq: page.board.last_seq,
    onEvent: (e) => {
      if (e.type === "alert" && e.alert) applyAlert(e.action, e.alert);
      schedule();
    },
    onSnapshot: () => schedule(),
    onSynced: ({ count }) => { if (count) schedule(); },
    onStatus: status,
  });
  setInterval(tick, 1000);
}

start();
