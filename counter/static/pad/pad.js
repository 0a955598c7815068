// Rating pad (评价器): idle (window and staff) → levels after a finish (with the hall's
// optional dimensions above them) → reason for 1–2 → thanks → idle. Live over the
// counter's room (hall-live.js); the rating is posted with the pad's bearer token. Screens: body[data-screen] = idle | rate | reason | thanks | notice.
import {
  connectLive, debounce, fill, forgetDevice, getJSON, HttpError, screenToken, startHeartbeat,
  text,
} from "/display/static/hall-live.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const deviceId = Number(ds.device);
const token = screenToken(`hall.token.pad.${deviceId}`);
const RATE_TIMEOUT_MS = Number(ds.rateTimeout || 120) * 1000;
const THANKS_MS = Number(ds.thanks || 6) * 1000;
const SCREENS = ["idle", "rate", "reason", "thanks", "notice"];

const pad = {
  counter: null, staff: null, reasons: [], windowS: 600,
  ticket: null, // {ticket_id, number, until}: the visit on offer
  level: null, reason: null, sending: false, timer: null, live: null,
  dimensions: [], scores: {}, // the hall's rating dimensions and this visit's scores (1–5)
};
window.hallPad = pad; // read by tests and handy when debugging a pad on site

function langQuery(url) {
  const sep = url.includes("?") ? "&" : "?";
  return `${url}${sep}lang=${encodeURIComponent(ds.locale || "zh_CN")}`;
}

function message(value) {
  $("pad-message").hidden = !value;
  text($("pad-message"), value || "");
}

function show(screen, ms) {
  clearTimeout(pad.timer);
  body.dataset.screen = screen;
  for (const s of SCREENS) $(`pad-${s}`).hidden = s !== screen;
  if (ms) pad.timer = setTimeout(idle, ms);
}

function idle() {
  pad.ticket = null;
  pad.level = null;
  pad.reason = null;
  renderIdle();
  show("idle");
}

function renderHead() {
  const c = pad.counter;
  if (!c) return;
  text($("pad-window"), fill(T.window, { counter: c.number }));
  text($("pad-counter-name"), c.name || "");
}

function renderIdle() {
  renderHead();
  const c = pad.counter;
  const s = pad.staff;
  text($("pad-avatar"), s && s.name ? Array.from(s.name)[0] : "");
  $("pad-avatar").hidden = !s;
  text($("pad-staff-name"), s ? s.name : T.noStaff);
  text($("pad-staff-number"), s && s.number ? fill(T.staffNumber, { number: s.number }) : "");
  // 值班牌: the photo (instead of the initial), department and this month's 满意率
  const d = pad.duty;
  const photo = $("pad-photo");
  photo.hidden = !(d && d.photo_url);
  if (d && d.photo_url && photo.getAttribute("src") !== d.photo_url) photo.src = d.photo_url;
  if (d && d.photo_url) $("pad-avatar").hidden = true;
  text($("pad-staff-department"), d ? d.department || "" : "");
  text($("pad-staff-rate"), d && d.satisfaction != null
    ? fill(T.dutyRate, { rate: `${(d.satisfaction * 100).toFixed(1)}%` }) : "");
  let status = "";
  if (c && c.state === "closed") status = T.closed;
  else if (c && c.state === "paused") status = T.paused;
  text($("pad-status"), status);
}

// --- rating ------------------------------------------------------------------------------

function offer(ticketId, number, expiresInS) {
  const until = Date.now() + Math.max(0, expiresInS) * 1000;
  pad.ticket = { ticket_id: ticketId, number, until };
  pad.level = null;
  pad.reason = null;
  pad.scores = {};
  renderDims();
  text($("pad-ticket"), fill(T.ticket, { number }));
  show("rate", timeLeft());
}

// one row per dimension: its name and five buttons; a touch scores it (again: unscores)
function renderDims() {
  const box = $("pad-dims");
  box.replaceChildren();
  box.hidden = pad.dimensions.length === 0;
  pad.dimensions.forEach((name, i) => {
    const row = document.createElement("div");
    row.className = "pad-dim";
    const label = document.createElement("span");
    label.className = "pad-dim-name";
    label.textContent = name;
    row.append(label);
    for (let score = 5; score >= 1; score -= 1) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pad-dim-score";
      b.id = `dim-${i}-${score}`;
      b.dataset.score = String(score);
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-label", `${name} ${score}`);
      b.textContent = String(score);
      b.addEventListener("click", () => scoreDim(name, score, row));
      row.append(b);
    }
    box.append(row);
  });
}

function scoreDim(name, score, row) {
  if (pad.scores[name] === score) delete pad.scores[name];
  else pad.scores[name] = score;
  for (const b of row.querySelectorAll("button")) {
    b.setAttribute("aria-pressed", String(Number(b.dataset.score) === pad.scores[name]));
  }
  show("rate", timeLeft()); // a touch keeps the screen up
}

function timeLeft() {
  if (!pad.ticket) return 0;
  return Math.max(1000, Math.min(RATE_TIMEOUT_MS, pad.ticket.until - Date.now()));
}

function choose(level) {
  if (!pad.ticket || pad.sending) return;
  pad.level = level;
  if (level <= 2) {
    pad.reason = null;
    renderReasons();
    $("reason-comment").value = "";
    text($("reason-error"), "");
    show("reason", timeLeft());
  } else {
    send({ level });
  }
}

function renderReasons() {
  const box = $("reasons");
  box.replaceChildren();
  pad.reasons.forEach((r, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "reason";
    b.id = `reason-${i}`;
    b.dataset.reason = r.value;
    b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", "false");
    b.textContent = r.label;
    b.addEventListener("click", () => pickReason(r));
    box.append(b);
  });
  commentLabel(null);
}

function commentLabel(reason) {
  text($("reason-comment-label"),
       reason && reason.needs_comment ? T.commentRequired : T.commentOptional);
}

function pickReason(r) {
  pad.reason = r;
  for (const b of $("reasons").children) {
    const on = b.dataset.reason === r.value;
    b.classList.toggle("chosen", on);
    b.setAttribute("aria-checked", on ? "true" : "false");
  }
  commentLabel(r);
  text($("reason-error"), "");
  show("reason", timeLeft()); // a touch keeps the screen up
}

function submitReason() {
  if (!pad.reason) {
    text($("reason-error"), T.chooseReason);
    return;
  }
  const comment = $("reason-comment").value.trim();
  if (pad.reason.needs_comment && !comment) {
    text($("reason-error"), T.commentRequired);
    $("reason-comment").focus();
    return;
  }
  send({ level: pad.level, reason: pad.reason.value, comment: comment || null });
}

async function send(given) {
  const t = pad.ticket;
  if (!t || pad.sending) return;
  const rating = Object.keys(pad.scores).length ? { ...given, dimensions: pad.scores } : given;
  pad.sending = true;
  body.dataset.sending = "1";
  try {
    const r = await fetch(langQuery(`/api/v1/tickets/${t.ticket_id}/rating`), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 Authorization: `Bearer ${token}` },
      body: JSON.stringify(rating),
      credentials: "omit",
      cache: "no-store",
    });
    let reply = null;
    try {
      reply = await r.json();
    } catch {
      reply = null;
    }
    if (r.ok) {
      pad.lastRated = { ticket_id: t.ticket_id, level: rating.level };
      thanks(rating.level);
    } else if (r.status === 401) {
      forgetDevice(); // the pad's token was revoked: /pair says so
    } else {
      refused(r.status, reply && reply.error);
    }
  } catch (err) {
    console.warn("rating not sent", err);
    if (body.dataset.screen === "reason") text($("reason-error"), T.sendFailed);
    else notice(T.sendFailed);
  } finally {
    pad.sending = false;
    delete body.dataset.sending;
  }
}

function thanks(level) {
  pad.ticket = null;
  text($("thanks-text"), level <= 2 ? T.thanksBad : T.thanks);
  show("thanks", THANKS_MS);
}

function notice(words) {
  pad.ticket = null;
  text($("notice-text"), words);
  show("notice", THANKS_MS);
}

// The server's refusal, in the pad's language: a second rating, a closed window, a missing
// reason … Input problems stay on the reason screen; the others end this offer.
function refused(status, error) {
  const code = error && error.code;
  const words = (error && error.message) || T.sendFailed;
  body.dataset.refused = code || String(status);
  if (status === 422 && body.dataset.screen === "reason") {
    text($("reason-error"), words);
    return;
  }
  if (code === "already_rated") notice(T.already);
  else if (code === "rating_closed") notice(T.closedWindow);
  else notice(words);
}

// --- state and live events ---------------------------------------------------------------

function applyState(st) {
  pad.counter = st.counter;
  pad.staff = st.staff;
  pad.duty = st.duty || null;
  pad.reasons = st.reasons || [];
  pad.dimensions = st.dimensions || [];
  pad.windowS = st.window_s || 600;
  renderHead();
  const p = st.pending;
  const onOffer = ["rate", "reason"].includes(body.dataset.screen);
  if (p && (!pad.ticket || pad.ticket.ticket_id !== p.ticket_id) && !onOffer &&
      body.dataset.screen !== "thanks") {
    offer(p.ticket_id, p.number, p.expires_in_s);
  } else if (!p && onOffer && !pad.sending) {
    idle(); // rated elsewhere, next visitor called, or the window has closed
  } else if (body.dataset.screen === "idle") {
    renderIdle();
  }
}

const reload = debounce(() => getJSON(langQuery(ds.stateUrl), token).then(applyState)
  .catch((err) => console.warn("pad state failed", err)), 300);

function onEvent(e, { replayed }) {
  if (e.counter_id !== pad.counter?.id) return;
  if (replayed) {
    reload(); // old news after a reconnect: ask the server what is on offer now
    return;
  }
  if (e.type === "ticket.finished") {
    offer(e.ticket_id, e.number, pad.windowS);
  } else if (e.type === "ticket.called" || e.type === "ticket.recalled") {
    if (["rate", "reason"].includes(body.dataset.screen)) idle();
  } else if (e.type === "ticket.rated") {
    const mine = pad.lastRated && pad.lastRated.ticket_id === e.ticket_id;
    if (!mine && pad.ticket && pad.ticket.ticket_id === e.ticket_id && !pad.sending) {
      notice(T.already); // rated on another pad or tab meanwhile
    }
  } else if (e.type === "counter.state") {
    Object.assign(pad.counter, { state: e.state });
    reload(); // the event names the staff member by id only
  }
}

function wire() {
  for (const b of document.querySelectorAll("#levels .level")) {
    b.addEventListener("click", () => choose(Number(b.dataset.level)));
  }
  $("reason-submit").addEventListener("click", submitReason);
  $("reason-back").addEventListener("click", () => show("rate", timeLeft()));
  $("reason-comment").addEventListener("input", () => {
    text($("reason-error"), "");
    if (body.dataset.screen === "reason") show("reason", timeLeft());
  });
}

async function start() {
  let st;
  try {
    st = await getJSON(langQuery(ds.stateUrl), token);
  } catch (err) {
    const refusedToken = err instanceof HttpError && [401, 403].includes(err.status);
    message(refusedToken ? (token ? T.refused : T.noToken) : err.message);
    body.dataset.live = refusedToken ? "refused" : "error";
    if (!refusedToken) setTimeout(start, 5000);
    return;
  }
  applyState(st);
  if (body.dataset.screen === "idle") renderIdle();
  let offlineTimer = null;
  pad.live = connectLive({
    token, room: `counter:${st.counter.id}`, lastSeq: st.last_seq, onEvent,
    onSnapshot: () => reload(),
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

// for tests and support: offer a visit by hand (the server still decides if it may be rated)
pad.offer = offer;
pad.choose = choose;
wire();
startHeartbeat(token, "pad");
start();
