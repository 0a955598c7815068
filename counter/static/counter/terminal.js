// Counter terminal (窗口工作台): sign in, choose a window, then serve with one key per step.
//
// The server is the only state: after every command and every live event for this window the
// page re-reads GET /api/v1/counters/<id> (the board) and redraws, so two tabs of one
// window always agree. Live events come from Socket.IO rooms counter:<id> (this window) and
// hall:<hall> (queue lengths), through the shared client display/static/hall-live.js.
import { connectLive, fill } from "/display/static/hall-live.js";
import { Api, ApiError } from "/web/static/api.js";
import { ServerClock } from "./clock.js";
import { Duty } from "./duty.js";
import { Forms } from "./forms.js";
import { renderSupervised } from "./supervised.js";
import { coalesced, soon } from "./tasks.js";
import {
  T, allowed, documentPage, renderAlerts, renderButtons, renderClock, renderCurrent,
  renderHeader, renderLists, renderResult, renderToday, serviceName,
} from "./render.js";

const $ = (id) => document.getElementById(id);
const body = document.body;
const api = new Api({ base: body.dataset.api, locale: body.dataset.lang === "en" ? "en" : "zh_CN",
                      offlineText: T.offline });
const clock = new ServerClock();
const S = { me: null, counterId: null, board: null, result: null, rooms: [], busy: false,
            queued: null };
window.hallTerminal = S; // for tests and for a curious supervisor's console

// --- messages ------------------------------------------------------------------------------

function say(words, kind = "error") {
  const box = $("t-message");
  box.hidden = !words;
  box.dataset.kind = kind;
  $("t-message-text").textContent = words || "";
}

function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    const signedOut = !S.me; // this tab signed out: a read still in flight is no news
    S.me = null;
    showLogin();
    if (signedOut) return;
  } else if (err instanceof ApiError && err.status === 403 && err.field === "counter" && S.board) {
    leaveTerminal(T.signedOut); // e.g. the window was closed from another tab
    return;
  }
  say(err.message || String(err));
}

// --- views ---------------------------------------------------------------------------------

function setView(view) {
  body.dataset.view = view;
  $("login").hidden = view !== "login";
  $("choose").hidden = view !== "choose";
  $("terminal").hidden = view !== "terminal";
  $("btn-logout").hidden = view === "login" || view === "loading";
}

function showLogin() {
  stopLive();
  if ($("t-message").dataset.kind === "info") say(""); // no "reconnecting" once signed out
  $("t-signout").hidden = true;
  S.board = null;
  setView("login");
  $("login-name").focus();
}

async function start() {
  let me;
  try {
    me = await api.get("/auth/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else {
      say(err.message);
      setTimeout(start, 5000);
    }
    return;
  }
  if (me.kind !== "staff") return showLogin();
  S.me = me;
  api.csrf = me.csrf_token;
  const wanted = Number(new URL(window.location.href).searchParams.get("counter")) || null;
  const supervisor = ["supervisor", "admin"].includes(me.role);
  // a supervisor may look in on any window (?counter=<id>) without taking it
  const counterId = (supervisor && wanted) || me.counter_id;
  if (counterId) openTerminal(counterId);
  else showChooser();
}

async function showChooser() {
  stopLive();
  S.board = null;
  setView("choose");
  try {
    const { counters } = await api.get("/counters");
    $("counter-list").replaceChildren(...counters.map((c) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "choose-counter";
      b.id = `choose-${c.number}`;
      b.dataset.counterId = c.id;
      b.dataset.state = c.state;
      const who = c.staff && c.state !== "closed" ? ` · ${fill(T.counterBusy, { name: c.staff })}` : "";
      b.textContent = `${fill(T.counterOption, { counter: c.number, name: c.name })}${who}`;
      b.addEventListener("click", () => choose(c.id));
      li.append(b);
      return li;
    }));
  } catch (err) {
    failed(err);
  }
}

async function choose(counterId) {
  try {
    await api.post(`/counters/${counterId}/sign-in`);
    say("");
    await openTerminal(counterId);
  } catch (err) {
    failed(err);
  }
}

function leaveTerminal(words) {
  stopLive();
  S.board = null;
  say(words, "info");
  start();
}

async function openTerminal(counterId) {
  S.counterId = counterId;
  try {
    await refreshBoard();
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return showChooser();
    return failed(err);
  }
  setView("terminal");
  refreshToday().catch(failed);
  refreshAlerts().catch(failed);
  refreshSupervised().catch(failed);
  duty.start(S.me, S.board.hall.timezone);
  startLive();
}

// --- reading the server -------------------------------------------------------------------

const refreshBoard = coalesced(async () => {
  const board = await api.get(`/counters/${S.counterId}`);
  if (!S.me) return; // signed out while it was on its way
  clock.sync(board.now);
  S.board = board;
  renderHeader(board, S.me);
  renderCurrent(board);
  renderButtons(board);
  renderLists(board, { unhold, reinstate });
  renderClock(board, clock);
  if (S.result) renderResult(S.result, board.counter.printer);
  forms.options(board);
  body.dataset.ticket = board.current ? board.current.number : "";
  body.dataset.counterState = board.counter.state;
  // auto-dispatch: shown when the hall has it on; the window may turn it off for itself
  $("t-auto-dispatch").hidden = !board.auto_dispatch_seconds;
  $("auto-dispatch").checked = board.counter.auto_dispatch;
});

const refreshToday = coalesced(async () => {
  renderToday(await api.get(`/counters/${S.counterId}/today`));
});

const refreshAlerts = coalesced(async () => {
  const { alerts } = await api.get(`/alerts?counter=${S.counterId}`);
  renderAlerts(alerts.filter((a) => a.counter_id === S.counterId), ack);
});

const refreshSupervised = coalesced(async () => {
  const [{ urgings }, { admonitions }] = await Promise.all([
    api.get(`/urgings?counter=${S.counterId}`), api.get("/admonitions?mine=true")]);
  renderSupervised(urgings.filter((u) => u.counter_id === S.counterId), admonitions,
                   S.me ? S.me.id : null, { answer: answerUrging, acknowledge: ackAdmonition });
});

const boardSoon = soon(refreshBoard, 50, failed);
const supervisedSoon = soon(refreshSupervised, 100, failed);
const queuesSoon = soon(refreshBoard, 700, failed); // hall-wide news: many events, one read
const todaySoon = soon(refreshToday, 300, failed);
const alertsSoon = soon(refreshAlerts, 100, failed);

// --- live ----------------------------------------------------------------------------------

const VISIT_END = ["ticket.finished", "ticket.skipped", "ticket.transferred", "ticket.held",
                   "ticket.rated"];

function onCounterEvent(e) {
  if (duty.handles(e)) return;
  if (e.counter_id !== S.counterId) return;
  if (e.type === "alert") return alertsSoon();
  if (e.type === "urge" || e.type === "admonition") return supervisedSoon();
  if (e.type === "ticket.finished") {
    remember({ kind: "finished", ticketId: e.ticket_id, number: e.number, outcome: e.outcome,
               caseNumber: e.case_number, caseDue: e.case_due_date, document: e.document });
  } else if (e.type === "ticket.transferred") {
    remember({ kind: "transferred", ticketId: e.ticket_id, number: e.number,
               newNumber: e.new_number });
  } else if (e.type === "ticket.skipped") {
    remember({ kind: "skipped", ticketId: e.ticket_id, number: e.number });
  }
  boardSoon();
  if (VISIT_END.includes(e.type) || e.type === "ticket.called") todaySoon();
}

// hall-wide news matters only when it moves one of this window's queues
function onHallEvent(e) {
  if (duty.handles(e)) return;
  if (e.counter_id === S.counterId || !S.board || !e.type.startsWith("ticket.")) return;
  if (e.type === "ticket.transferred" && e.to_counter === S.board.counter.number) {
    queuesSoon();
    return;
  }
  const sid = e.service_id ?? (e.ticket && e.ticket.service ? e.ticket.service.id : null);
  if (sid == null || S.board.queues.some((q) => q.id === sid)) queuesSoon();
}

function startLive() {
  stopLive();
  const last = S.board ? S.board.last_seq : 0;
  const status = (state) => {
    if (state === "offline" || state === "reconnecting") say(T.offline, "info");
    else if (state === "live" && $("t-message").dataset.kind === "info") say("");
  };
  S.rooms = [
    connectLive({ room: `counter:${S.counterId}`, lastSeq: last, onEvent: onCounterEvent,
                  onSnapshot: () => { boardSoon(); todaySoon(); alertsSoon(); supervisedSoon(); },
                  onStatus: status }),
    connectLive({ room: `hall:${S.board.hall.id}`, lastSeq: last, onEvent: onHallEvent,
                  onSnapshot: queuesSoon }),
  ];
}

function stopLive() {
  for (const room of S.rooms) room.close();
  S.rooms = [];
}

// --- commands ------------------------------------------------------------------------------

function remember(result) {
  // a richer result of this tab's own command (the 补正 list) is not replaced by its echo
  if (S.result && S.result.ticketId === result.ticketId && S.result.kind === result.kind) {
    S.result = { ...result, ...S.result };
  } else {
    S.result = result;
  }
  renderResult(S.result, S.board && S.board.counter.printer);
}

// 打印 the visitor's paper: on the window's printer when it has one (the server prints, or
// its agent does), else as a page in a new tab that opens the browser's print dialog
async function printDocument() {
  const result = S.result;
  if (!result || !result.document) return;
  if (!(S.board && S.board.counter.printer)) {
    window.open(documentPage(result, true), "_blank");
    return;
  }
  try {
    const out = await api.post("/print-jobs", {
      ticket_id: result.ticketId, document: result.document,
      lang: body.dataset.lang === "en" ? "en" : "zh_CN" });
    say(out.message, out.state === "failed" ? "error" : "info");
  } catch (err) {
    failed(err);
  }
}

// ``again(err)``: a refusal the staff member may answer (a confirmation) gives the payload
// to send once more, or null.
async function command(action, payload, after, again = null) {
  if (S.busy) return null;
  S.busy = true;
  body.dataset.busy = "1";
  let retry = null;
  try {
    const value = await api.post(`/counters/${S.counterId}/${action}`, payload);
    say("");
    if (after) after(value);
    return value;
  } catch (err) {
    retry = again ? again(err) : null;
    if (!retry) failed(err);
  } finally {
    // busy until the board is fresh: a key pressed in between is kept (press) and weighed
    // against the new board, not dropped against the old one (a pause right after a finish
    // found the visitor still "serving" and did nothing)
    if (S.board) await refreshBoard().catch(failed);
    S.busy = false;
    body.dataset.busy = "";
    runQueued();
  }
  return retry ? command(action, retry, after) : null; // once, after the refusal
}

// A key pressed while a command is on its way (its live echo may already have redrawn the
// page) is kept, and done afterwards if it still applies; never twice, never lost.
function press(action) {
  if (S.busy) {
    S.queued = action;
    return;
  }
  ACTIONS[action]();
}

function runQueued() {
  const action = S.queued;
  S.queued = null;
  if (action && allowed(S.board, action)) ACTIONS[action]();
}

// the slip's time in the hall's own zone (the board says which), not the PC's
function hallTime(at) {
  const timeZone = S.board ? S.board.hall.timezone : undefined;
  return at.toLocaleString(body.dataset.lang || undefined, { timeZone, hour12: false });
}

function unhold(t) {
  command("unhold", { ticket_id: t.id });
}

// A visitor sent to a closed window would wait for nobody: the server refuses it
// (409 target_closed) and says so; the staff member confirms, or picks another window.
function transfer(payload, extra) {
  const done = (v) => {
    extra.close();
    remember({ kind: "transferred", ticketId: v.id, number: v.number,
               newNumber: v.new_ticket.number });
  };
  const confirmClosed = (err) => (err instanceof ApiError && err.code === "target_closed"
    && window.confirm(err.message) ? { ...payload, confirm_closed: true } : null);
  return command("transfer", payload, done, confirmClosed);
}

function reinstate(t) {
  command("reinstate", { ticket_id: t.id });
}

async function answerUrging(urging, answer) {
  try {
    await api.post(`/urgings/${urging.id}/ack`, { answer: answer || "" });
    supervisedSoon();
  } catch (err) {
    failed(err);
  }
}

async function ackAdmonition(admonition) {
  try {
    await api.post(`/admonitions/${admonition.id}/ack`, {});
    supervisedSoon();
  } catch (err) {
    failed(err);
  }
}

async function ack(alert, note) {
  try {
    await api.post(`/alerts/${alert.id}/ack`, { note: note || "" });
    alertsSoon();
  } catch (err) {
    failed(err);
  }
}

const duty = new Duty({ api, failed, lang: body.dataset.lang });

const forms = new Forms({
  finish: (payload, extra) => command("finish", payload, (v) => {
    extra.close();
    remember({
      kind: "finished", ticketId: v.id, number: v.number, outcome: v.outcome,
      caseNumber: v.case && v.case.number, caseDue: v.case && v.case.due_date,
      document: v.document,
      missing: extra.missing, service: extra.service, at: hallTime(new Date()),
    });
  }),
  transfer: (payload, extra) => transfer(payload, extra),
  call: (payload, extra) => command("call", payload, extra.close),
  hold: (payload, extra) => command("hold", payload, extra.close),
  pause: (payload, extra) => command("pause", payload, extra.close),
  serviceName,
  say,
});

const ACTIONS = {
  "call-next": () => command("call-next", undefined, (v) => {
    if (!v.ticket) say(v.message || T.nobody, "info");
  }),
  recall: () => command("recall"),
  skip: () => command("skip"),
  start: () => command("start"),
  resume: () => command("resume"),
  close: () => {
    if (!window.confirm(T.confirmClose)) return;
    command("close", undefined, () => showChooser());
  },
  finish: () => forms.open("finish", S.board),
  transfer: () => forms.open("transfer", S.board),
  call: () => forms.open("call", S.board),
  hold: () => forms.open("hold", S.board),
  pause: () => forms.open("pause", S.board),
};

for (const button of document.querySelectorAll("#terminal [data-action]")) {
  button.addEventListener("click", () => press(button.dataset.action));
}

// one key per step, for the commands the server allows now (the same list as the buttons);
// never while typing or while a form is open
const KEYS = { n: "call-next", r: "recall", k: "skip", s: "start", f: "finish", t: "transfer",
               c: "call", h: "hold" };

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  if (document.querySelector("dialog[open]")) return forms.key(e);
  if (e.target.closest("input, textarea, select") || body.dataset.view !== "terminal") return;
  if (!S.board) return;
  const key = e.key.toLowerCase();
  let action = KEYS[key];
  if (key === "p") action = allowed(S.board, "resume") ? "resume" : "pause";
  if (!action || !(S.busy || allowed(S.board, action))) return;
  e.preventDefault();
  press(action);
});

// --- sign-in, sign-out, the rest ----------------------------------------------------------------

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await api.post("/auth/login", { login: $("login-name").value.trim(),
                                              password: $("login-password").value });
    api.csrf = r.csrf_token;
    $("login-password").value = "";
    say("");
    start();
  } catch (err) {
    say(err.message);
  }
});

// Signing out closes the window everywhere. With a visitor at the window the server refuses
// (409 counter_busy, naming the ticket) and the page offers 过号后退出 / 挂起后退出, each the
// command then the sign-out in one request (hall/services/counters/signout.py).
async function signOut(then = null) {
  $("t-signout").hidden = true;
  try {
    await api.post(then ? `/auth/logout?then=${then}` : "/auth/logout");
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && err.code === "counter_busy") {
      say(err.message);
      $("btn-signout-skip").hidden = !allowed(S.board, "skip");
      $("btn-signout-hold").hidden = !allowed(S.board, "hold");
      $("t-signout").hidden = false;
      return;
    }
    if (!(err instanceof ApiError && err.status === 401)) {
      say(err.message || String(err));
      return;
    }
  }
  S.me = null;
  showLogin();
  say("");
}

$("btn-logout").addEventListener("click", () => signOut());
for (const id of ["btn-signout-skip", "btn-signout-hold"]) {
  $(id).addEventListener("click", (e) => signOut(e.currentTarget.dataset.then));
}

$("t-message-close").addEventListener("click", () => say(""));
$("btn-print").addEventListener("click", printDocument);
$("auto-dispatch").addEventListener("change", (e) =>
  command("auto-dispatch", { on: e.currentTarget.checked }));
setInterval(() => S.board && renderClock(S.board, clock), 1000);
start();
