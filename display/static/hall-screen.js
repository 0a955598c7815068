// Hall screen: newest call large, recent calls, open windows, queues, notices, clock, voice.
import {
  connectLive, debounce, fill, getJSON, HttpError, minutesRange, screenToken, startHeartbeat,
  stepText, text,
} from "./hall-live.js";
import { announcerFromDataset } from "./voice.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const english = ds.lang === "en";

const RECENT = 8; // calls listed besides the newest one
const FLASH_MS = 8000;
const ANNOUNCE_BACKLOG_S = 90; // a replayed call older than this is shown, not spoken
const QUEUE_PAGE = { landscape: 6, portrait: 8 };
const SNAPSHOT_REFRESH_MS = 10 * 60 * 1000; // notices and drift

const state = {
  hallId: null,
  timeZone: null,
  counters: new Map(), // id → {id, number, name, state, pause_reason, current}
  calls: [], // newest first: {ticket_id, number, counter_id, counter_number, seq, at, recall}
  // the calls still standing, newest first, as the server says (snapshot live_calls, then
  // each calls.live event): the big panel shows the first, or nothing
  live: [],
  flashNext: false, // a call arrived: flash the panel when its calls.live lands
  queues: [],
  notices: [],
  queuePage: 0,
};

const token = screenToken(`hall.token.screen.${ds.screen}`);
const announcer = announcerFromDataset(ds, ds.static, () => { $("sound-hint").hidden = false; });
window.hallScreen = state; // for diagnostics and tests

document.addEventListener("click", () => {
  announcer.unlock();
  $("sound-hint").hidden = true;
});

function message(textValue) {
  const box = $("message");
  box.hidden = !textValue;
  text(box, textValue || "");
}

// --- clock ------------------------------------------------------------------------------
// The hall's own time zone (halls.timezone, from the snapshot): a screen's browser or OS may
// be set to anything. Until the snapshot arrives, the server's default zone.
let dateFmt;
let timeFmt;
function setTimeZone(tz) {
  const zone = tz || ds.tz;
  if (dateFmt && state.timeZone === zone) return;
  try {
    dateFmt = new Intl.DateTimeFormat(english ? "en-GB" : "zh-CN", {
      timeZone: zone, year: "numeric", month: "long", day: "numeric", weekday: "long",
    });
    timeFmt = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
    state.timeZone = zone;
  } catch (err) { // a zone this browser does not know: keep the one we have
    console.warn("time zone", zone, err);
    if (!dateFmt) setTimeZone(zone === "UTC" ? undefined : "UTC");
  }
  body.dataset.timeZone = state.timeZone;
}
function tick() {
  const now = new Date();
  text($("clock-date"), dateFmt.format(now));
  text($("clock-time"), timeFmt.format(now));
}

// --- state from the snapshot ------------------------------------------------------------
function currentFromCalls(counter, calls) {
  if (counter.current_ticket) return counter.current_ticket; // when the snapshot carries it
  if (counter.current_ticket_id == null) return null;
  const call = calls.find((c) => c.ticket_id === counter.current_ticket_id);
  return call ? { ticket_id: call.ticket_id, number: call.number, state: "called" } : null;
}

function applySnapshot(snap) {
  state.hallId = snap.hall.id;
  if (snap.hall.timezone) { // the socket's catch-up snapshot does not repeat it
    setTimeZone(snap.hall.timezone);
    tick();
  }
  text($("hall-name"), (english && snap.hall.name_en) || snap.hall.name);
  $("hall-name").title = $("hall-name").textContent; // in full where a long one ends in "…"
  const calls = (snap.recent_calls || []).slice().sort((a, b) => b.seq - a.seq);
  state.calls = [];
  const seenTickets = new Set();
  for (const c of calls) { // newest first, one line per ticket
    if (seenTickets.has(c.ticket_id)) continue;
    seenTickets.add(c.ticket_id);
    state.calls.push(callOf(c));
  }
  state.counters = new Map();
  for (const c of snap.counters || []) {
    state.counters.set(c.id, { ...c, current: currentFromCalls(c, calls) });
  }
  state.live = snap.live_calls || [];
  state.queues = snap.queues || [];
  state.notices = snap.notices || [];
  renderAll();
}

function callOf(e) {
  return {
    ticket_id: e.ticket_id, number: e.number, counter_id: e.counter_id,
    counter_number: e.counter_number, seq: e.seq, at: e.at,
    recall: e.type === "ticket.recalled", announce: e.announce || {},
    holder: e.holder || "", // calling by name, masked (张*女士); only when the hall says so
  };
}

// --- events -----------------------------------------------------------------------------
const LEAVES_COUNTER = new Set(["ticket.finished", "ticket.skipped", "ticket.held",
  "ticket.transferred", "ticket.cancelled"]);

function onEvent(e, { replayed }) {
  if (e.type === "ticket.called" || e.type === "ticket.recalled") called(e, replayed);
  else if (e.type === "ticket.started") setCurrentState(e, "serving");
  else if (LEAVES_COUNTER.has(e.type)) leave(e);
  else if (e.type === "counter.state") counterState(e); // its lines' queue.stats follow
  else if (e.type === "queue.stats") queueStats(e);
  else if (e.type === "calls.live") liveCalls(e);
  else if (e.type === "config.changed" && !replayed) {
    // an admin changed notices, services or windows: take the whole picture again
    loadSnapshot().catch(() => {});
  }
}

// Every change to a line is followed by its queue.stats (waiting count, estimate): the
// screen keeps its table from those, and fetches the queues only when a counter changed
// state or for a service it has never seen (one added since the snapshot).
function queueStats(e) {
  const q = state.queues.find((x) => x.service_id === e.service_id);
  if (!q) {
    refreshQueues();
    return;
  }
  q.waiting = e.waiting;
  q.estimated_wait = e.estimated_wait;
  if (e.open_counters != null) q.open_counters = e.open_counters;
  renderQueues();
}

function called(e, replayed) {
  const call = callOf(e);
  state.calls = [call, ...state.calls.filter((c) => c.ticket_id !== e.ticket_id)]
    .slice(0, RECENT + 1);
  const counter = state.counters.get(e.counter_id);
  if (counter) counter.current = { ticket_id: e.ticket_id, number: e.number, state: "called" };
  state.flashNext = true; // the calls.live that follows in the same transaction shows it
  renderRecent();
  renderWindows();
  const age = (Date.now() - Date.parse(e.at || "")) / 1000;
  if (!replayed || !(age > ANNOUNCE_BACKLOG_S)) {
    announcer.push({
      number: e.number, counter: e.counter_number, text_zh: (e.announce || {}).zh || "",
      text_en: (e.announce || {}).en || "", clips: (e.announce || {}).clips, seq: e.seq,
      recall: call.recall,
    });
  }
}

function liveCalls(e) {
  state.live = e.calls || [];
  renderNow(state.flashNext);
  state.flashNext = false;
}

function setCurrentState(e, value) {
  const counter = state.counters.get(e.counter_id);
  if (counter && counter.current && counter.current.ticket_id === e.ticket_id) {
    counter.current.state = value;
    renderWindows();
  }
}

function leave(e) {
  for (const counter of state.counters.values()) {
    if (counter.current && counter.current.ticket_id === e.ticket_id) counter.current = null;
  }
  renderWindows();
}

function counterState(e) {
  let counter = state.counters.get(e.counter_id);
  if (!counter) {
    counter = { id: e.counter_id, number: e.counter_number, name: e.counter_name, current: null };
    state.counters.set(e.counter_id, counter);
  }
  counter.state = e.state;
  counter.pause_reason = e.reason || null;
  if (e.state === "closed") counter.current = null;
  renderWindows();
}

const refreshQueues = debounce(async () => {
  try {
    const url = `${ds.queuesUrl}?hall=${encodeURIComponent(state.hallId)}`;
    state.queues = (await getJSON(url)).services || [];
    renderQueues();
  } catch (err) {
    console.warn("queues refresh failed", err);
  }
}, 800);

// --- rendering --------------------------------------------------------------------------
let flashTimer = null;
function renderNow(flash = false) {
  const newest = state.live[0];
  $("now").classList.toggle("idle", !newest);
  text($("now-number"), newest ? newest.number : "—");
  text($("now-holder"), newest && newest.holder ? newest.holder : ""); // calling by name
  text($("now-step"), newest ? stepText(newest.chain, T.step, english) : ""); // 第2步 缴纳税费
  $("now-number").style.setProperty("--chars", String(newest ? newest.number.length : 1));
  text($("now-counter"), newest ? fill(T.goto, { counter: newest.counter_number }) : "\u00a0");
  if (flash) {
    const now = $("now");
    now.classList.remove("flash");
    void now.offsetWidth; // restart the animation
    now.classList.add("flash");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => now.classList.remove("flash"), FLASH_MS);
  }
}

function renderRecent() {
  const list = $("recent");
  const items = state.calls.slice(1, RECENT + 1).map((c) => {
    const li = document.createElement("li");
    const number = document.createElement("span");
    number.className = "recent-number";
    number.textContent = c.holder ? `${c.number} ${c.holder}` : c.number;
    const where = document.createElement("span");
    where.className = "recent-counter";
    where.textContent = fill(T.window, { counter: c.counter_number });
    li.append(number, where);
    return li;
  });
  list.replaceChildren(...items);
}

function windowCard(c) {
  const card = document.createElement("div");
  const paused = c.state === "paused";
  const current = c.current;
  card.className = `window-card ${paused ? "paused" : current ? current.state : "idle"}`;
  const head = document.createElement("div");
  head.className = "window-no";
  head.textContent = fill(T.window, { counter: c.number });
  const ticket = document.createElement("div");
  ticket.className = "window-ticket";
  ticket.textContent = paused ? T.paused : current ? current.number : "—";
  const note = document.createElement("div");
  note.className = "window-note";
  note.textContent = paused ? (c.pause_reason || "") :
    current ? (current.state === "serving" ? T.serving : T.called) : T.idle;
  note.title = note.textContent;
  card.append(head, ticket, note);
  return card;
}

function renderWindows() {
  const open = [...state.counters.values()].filter((c) => c.state && c.state !== "closed")
    .sort((a, b) => a.number - b.number);
  const grid = $("windows");
  // cards of about 1.6 : 1, as many columns as make them biggest
  const box = grid.getBoundingClientRect();
  const ratio = box.height > 0 ? box.width / box.height / 1.6 : 2;
  const cols = Math.min(open.length || 1, Math.max(1, Math.round(Math.sqrt(open.length * ratio))));
  grid.style.setProperty("--cols", String(cols));
  grid.replaceChildren(...open.map(windowCard));
}

function estimateText(q) {
  if (q.estimated_wait === null) return T.noWindow; // no open window serves it: no number
  if (!q.waiting) return T.noWait;
  const range = minutesRange(q.estimated_wait);
  if (!range) return "";
  if (range.low === 0) return fill(T.estimateShort, { high: Math.max(range.high, 1) });
  return fill(T.estimate, range);
}

// as many rows as the panel holds (measured), else a guess by orientation
function queuePageSize() {
  const tbody = $("queues");
  const section = tbody.closest("section");
  const row = tbody.rows[0];
  if (!section || !row || !row.getBoundingClientRect().height) {
    return QUEUE_PAGE[window.matchMedia("(orientation: portrait)").matches
      ? "portrait" : "landscape"];
  }
  const style = getComputedStyle(section);
  const used = section.querySelector(".label").getBoundingClientRect().height +
    section.querySelector("thead").getBoundingClientRect().height +
    Number.parseFloat(style.paddingTop) + Number.parseFloat(style.paddingBottom) + 8;
  return Math.max(1, Math.floor((section.clientHeight - used) / row.getBoundingClientRect().height));
}

function renderQueues(again = true) {
  const size = queuePageSize();
  const shown = state.queues.filter((q) => q.waiting > 0 || q.open_counters > 0);
  const pages = Math.max(1, Math.ceil(shown.length / size));
  state.queuePage %= pages;
  const rows = shown.slice(state.queuePage * size, (state.queuePage + 1) * size).map((q) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    const words = document.createElement("span"); // two lines at most (hall.css)
    words.className = "queue-name";
    words.textContent = (english && q.name_en) || q.name;
    words.title = words.textContent;
    name.append(words);
    const waiting = document.createElement("td");
    waiting.className = "num";
    waiting.textContent = String(q.waiting);
    const estimate = document.createElement("td");
    estimate.textContent = estimateText(q);
    tr.append(name, waiting, estimate);
    return tr;
  });
  $("queues").replaceChildren(...rows);
  if (again && rows.length && queuePageSize() !== size) renderQueues(false); // re-measured
}

function renderTicker() {
  const line = (state.notices.length ? state.notices : [T.noNotice]).join("　　◆　　");
  const el = $("ticker-text");
  if (el.textContent === line) return;
  el.textContent = line;
  // constant reading speed whatever the length: about 12 characters a second
  el.style.setProperty("--ticker-duration", `${Math.max(15, Math.round(line.length / 4))}s`);
}

function renderAll() {
  renderNow();
  renderRecent();
  renderWindows();
  renderQueues();
  renderTicker();
}

// --- start ------------------------------------------------------------------------------
async function loadSnapshot() {
  const snap = await getJSON(ds.snapshotUrl, token);
  applySnapshot(snap);
  return snap;
}

async function start() {
  setTimeZone(null);
  tick();
  setInterval(tick, 1000);
  setInterval(() => { state.queuePage += 1; renderQueues(); }, 8000);
  window.addEventListener("resize", debounce(renderAll, 200));
  let snap;
  try {
    snap = await loadSnapshot();
  } catch (err) {
    const refused = err instanceof HttpError && (err.status === 401 || err.status === 403);
    message(refused ? (token ? T.refused : T.noToken) : err.message);
    body.dataset.live = refused ? "refused" : "error";
    if (!refused) setTimeout(start, 5000);
    return;
  }
  let offlineTimer = null;
  connectLive({
    token,
    room: `hall:${snap.hall.id}`,
    lastSeq: snap.last_seq,
    onEvent,
    onSnapshot: applySnapshot,
    onStatus(status) {
      clearTimeout(offlineTimer);
      if (status === "live") message("");
      else if (status === "refused" || status === "forbidden") message(T.refused);
      else if (status === "offline" || status === "reconnecting") {
        offlineTimer = setTimeout(() => message(T.offline), 5000);
      }
    },
  });
  setInterval(() => loadSnapshot().catch(() => {}), SNAPSHOT_REFRESH_MS);
}

startHeartbeat(token, "hall-screen");
start();
