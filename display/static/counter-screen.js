// Window screen: this counter's number, name, staff, the ticket at the window, pauses.
import {
  connectLive, debounce, fill, getJSON, HttpError, screenToken, startHeartbeat, stepText, text,
} from "./hall-live.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const counterId = Number(ds.counter);
const token = screenToken(`hall.token.counter.${counterId}`);
const state = { counter: null, current: null, duty: null };
window.hallCounter = state;

function message(value) {
  $("message").hidden = !value;
  text($("message"), value || "");
}

function applySnapshot(snap) {
  const c = snap.counter;
  state.counter = c;
  state.duty = snap.duty || null;
  state.current = null;
  // the listing's current ticket has no id of its own: without one, its finish would not
  // clear it from this screen after a reload
  if (c.current_ticket) state.current = { ticket_id: c.current_ticket_id, ...c.current_ticket };
  else if (c.current_ticket_id != null) {
    const call = (snap.recent_calls || []).find((e) => e.ticket_id === c.current_ticket_id);
    if (call) {
      state.current = { ticket_id: call.ticket_id, number: call.number, state: "called",
                        holder: call.holder || "", chain: call.chain || null };
    }
  }
  render();
}

// 值班牌: the photo, name, staff no., department and this month's 满意率 of who is here
function renderDuty() {
  const d = state.duty;
  $("duty-card").hidden = !d;
  if (!d) return;
  const photo = $("duty-photo");
  photo.hidden = !d.photo_url;
  if (d.photo_url && photo.getAttribute("src") !== d.photo_url) photo.src = d.photo_url;
  text($("duty-name"), d.name);
  text($("duty-number"), d.number ? fill(T.dutyNumber, { number: d.number }) : "");
  text($("duty-department"), d.department || "");
  const rate = d.satisfaction == null ? T.dutyNoRate
    : fill(T.dutyRate, { rate: `${(d.satisfaction * 100).toFixed(1)}%` });
  text($("duty-rate"), rate);
}

function render(flash = false) {
  const c = state.counter;
  if (!c) return;
  renderDuty();
  text($("counter-no"), fill(T.window, { counter: c.number }));
  text($("counter-name"), c.name || "");
  text($("counter-staff"), c.staff ? fill(T.staff, { name: c.staff }) : T.noStaff);
  for (const id of ["counter-name", "counter-staff"]) $(id).title = $(id).textContent;
  const main = $("counter-main");
  const cur = state.current;
  let mode = "idle";
  if (c.state === "closed") mode = "closed";
  else if (c.state === "paused") mode = "paused";
  else if (cur) mode = cur.state === "serving" ? "serving" : "called";
  main.className = `counter-main ${mode}`;
  const words = { idle: T.idle, closed: T.closed, paused: T.paused, serving: T.serving,
                  called: T.called };
  text($("counter-state"), mode === "paused" ? "" : words[mode]);
  text($("counter-ticket"), mode === "paused" ? T.paused : cur ? cur.number : "—");
  $("counter-ticket").style.setProperty("--chars", String(cur ? cur.number.length : 1));
  text($("counter-holder"), mode !== "paused" && cur && cur.holder ? cur.holder : "");
  // 多窗联办: 第2步 缴纳税费, so the visitor sees this window takes their next step
  text($("counter-step"), mode !== "paused" && cur ? stepText(cur.chain, T.step,
                                                               ds.lang === "en") : "");
  text($("counter-reason"), mode === "paused" ? (c.pause_reason || "") : "");
  if (flash) {
    void main.offsetWidth;
    main.classList.add("flash");
    setTimeout(() => main.classList.remove("flash"), 6000);
  }
}

const reload = debounce(() => getJSON(ds.snapshotUrl, token).then(applySnapshot)
  .catch((err) => console.warn("snapshot failed", err)), 500);

function onEvent(e) {
  if (e.counter_id !== counterId) return;
  if (e.type === "ticket.called" || e.type === "ticket.recalled") {
    // calling by name (a hall setting): the holder masked (张*女士) comes with the call
    state.current = { ticket_id: e.ticket_id, number: e.number, state: "called",
                      holder: e.holder || "", chain: e.chain || null };
    render(true);
  } else if (e.type === "ticket.started") {
    if (state.current && state.current.ticket_id === e.ticket_id) state.current.state = "serving";
    render();
  } else if (["ticket.finished", "ticket.skipped", "ticket.held", "ticket.transferred"]
    .includes(e.type)) {
    if (state.current && state.current.ticket_id === e.ticket_id) state.current = null;
    render();
  } else if (e.type === "counter.state") {
    Object.assign(state.counter, { state: e.state, pause_reason: e.reason || null });
    if (e.state === "closed") state.current = null;
    render();
    reload(); // the event names the staff member by id only; the snapshot has the name
  }
}

async function start() {
  let snap;
  try {
    snap = await getJSON(ds.snapshotUrl, token);
  } catch (err) {
    const refused = err instanceof HttpError && [401, 403].includes(err.status);
    message(refused ? (token ? T.refused : T.noToken) : err.message);
    body.dataset.live = refused ? "refused" : "error";
    if (!refused) setTimeout(start, 5000);
    return;
  }
  applySnapshot(snap);
  let offlineTimer = null;
  connectLive({
    token, room: `counter:${counterId}`, lastSeq: snap.last_seq, onEvent,
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
}

startHeartbeat(token, "counter-screen");
start();
