// Kiosk (取号机) touch page: departments → services → guide (一次性告知) → take a number →
// the number, the QR code and what the printer did. Everything the page says comes from the
// server already translated (#strings data-* attributes, the catalog's reason_text, the
// print job's message); this file only draws and talks to the JSON API with the kiosk's
// device token. No inline script anywhere: the page runs under a strict CSP.

import { connectLive, debounce } from "/display/static/hall-live.js";
import { caseLookup } from "./case/kiosk-case.js";
import { complaintForm } from "./complaint/kiosk-complaint.js";
import { notifyEntry } from "./notify/kiosk-notify.js";
import {
  bindPad, el, entryValue, fill, idNumberProblem, kioskToken, maskIdNumber, request,
  resetEntry, say,
} from "./kiosk-lib.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const DEVICE = ds.device;
const LOCALE = ds.locale; // zh_CN | en
const IDLE_S = Number(ds.idle) || 60;
const PREVIEW = ds.preview === "1"; // a supervisor's session, no kiosk token
const WARN_S = Math.min(10, Math.floor(IDLE_S / 3)); // the visible countdown at the end
const CATALOG_SOON_MS = 1000; // several events in a row: one catalog read
const HEARTBEAT_EVERY_MS = 60000;
const JOB_POLL_MS = 1000;
const JOB_POLL_TRIES = 20;
const CARD_POLL_MS = 1500; // asks the kiosk's ID card reader (server-driven) this often

const state = {
  token: kioskToken(DEVICE),
  catalog: null,
  live: null, // the hall's room (hall-live.js): configuration and queue changes
  minute: "", // the hall's minute last seen by tick(): opening hours start and end on one
  dept: null,
  svc: null,
  pending: null, // {kind, reason} waiting for the ID number
  page: { home: 0, services: 0 },
  screen: "home",
  elder: sessionStorage.getItem("kiosk.elder") === "1",
  lastActive: Date.now(),
  ticket: null,
  apptBy: "code",
  card: null, // the ID card laid on the reader, sealed by the server: {card, holder, priority}
};

// ---- small helpers ------------------------------------------------------------------

function api(method, path, payload) {
  return request(method, path, payload, { token: state.token, locale: LOCALE,
                                          offline: T.offline, fallback: T.failed })
    .catch((err) => {
      if (err.status === 401 && state.token) unpaired();
      throw err;
    });
}

// 401 with our token: it was revoked (or never valid). Forget it and say so on /pair, which
// offers to pair the kiosk again.
function unpaired() {
  try {
    localStorage.removeItem(`hall.kiosk.${DEVICE}`);
  } catch {
    /* storage disabled: nothing kept */
  }
  state.token = null;
  window.location.replace("/pair?kind=kiosk&revoked=1");
}

function speak(text) {
  if (state.elder) say(text, LOCALE);
}

function name(thing) {
  return LOCALE === "en" && thing.name_en ? thing.name_en : thing.name;
}

function waitText(estimate) {
  if (estimate === null) return T.noWindow; // no open window serves it: no number
  if (!estimate) return "";
  const low = Math.floor((estimate.min_s || 0) / 60);
  const high = Math.max(low, Math.ceil((estimate.max_s || 0) / 60));
  if (high <= 0) return T.noWait;
  if (low === 0) return fill(T.estimateShort, { high: Math.max(high, 1) });
  return fill(T.estimate, { low, high });
}

function aheadText(n) {
  return n > 0 ? fill(T.ahead, { n }) : T.noneAhead;
}

// ---- screens ------------------------------------------------------------------------

function show(screen, prompt) {
  state.screen = screen;
  body.dataset.screen = screen;
  for (const s of document.querySelectorAll(".k-screen")) s.hidden = s.dataset.screen !== screen;
  window.scrollTo(0, 0);
  moreBelow();
  if (prompt) speak(prompt);
}

function pageSize() {
  return Number(state.elder ? ds.pageElder : ds.pageNormal) || 6;
}

function paged(items, key, grid, pager, draw) {
  const size = pageSize();
  const pages = Math.max(1, Math.ceil(items.length / size));
  state.page[key] = Math.min(Math.max(state.page[key], 0), pages - 1);
  const start = state.page[key] * size;
  grid.replaceChildren(...items.slice(start, start + size).map(draw));
  pager.hidden = pages <= 1;
  pager.querySelector(".k-page-no").textContent = fill(T.page, { page: state.page[key] + 1, pages });
  pager.querySelector('[data-page="-1"]').disabled = state.page[key] === 0;
  pager.querySelector('[data-page="1"]').disabled = state.page[key] >= pages - 1;
  pager.dataset.key = key;
}

function drawHome() {
  const deps = state.catalog ? state.catalog.departments : [];
  paged(deps, "home", $("dept-grid"), $("dept-pager"), (dep) => {
    const b = el("button", "k-card k-card-dept");
    b.type = "button";
    b.dataset.dept = dep.id;
    b.append(el("span", "k-card-name", name(dep)));
    const open = dep.services.filter((s) => s.available).length;
    b.append(el("span", "k-card-sub", fill(T.openServices, { open, n: dep.services.length })));
    b.addEventListener("click", () => openDept(dep.id));
    return b;
  });
}

function openDept(id) {
  state.dept = state.catalog.departments.find((d) => d.id === id) || null;
  if (!state.dept) return home();
  state.page.services = 0;
  drawServices();
  show("services", `${name(state.dept)}。${T.sayServices}`);
}

function drawServices() {
  if (!state.dept) return;
  $("svc-title").textContent = name(state.dept);
  paged(state.dept.services, "services", $("svc-grid"), $("svc-pager"), (svc) => {
    const b = el("button", `k-card k-card-svc k-${svc.state}`);
    b.type = "button";
    b.dataset.service = svc.code;
    b.dataset.state = svc.state;
    b.append(el("span", "k-card-name", name(svc)));
    b.append(el("span", `k-badge k-badge-${svc.state}`, T[`state${camel(svc.state)}`] || svc.state));
    b.append(el("span", "k-card-sub", cardFacts(svc)));
    b.addEventListener("click", () => openGuide(svc.code));
    return b;
  });
}

function cardFacts(svc) {
  return svc.available
    ? `${fill(T.waiting, { n: svc.waiting })} · ${waitText(svc.estimated_wait)}`
    : svc.reason_text || "";
}

function camel(s) {
  // outside_hours → OutsideHours, as the dataset names data-state-outside-hours
  return s.replace(/(^|_)(\w)/g, (_m, _u, c) => c.toUpperCase());
}

function findService(code) {
  for (const dep of state.catalog.departments) {
    const svc = dep.services.find((s) => s.code === code);
    if (svc) return svc;
  }
  return null;
}

function openGuide(code) {
  state.svc = findService(code);
  if (!state.svc) return home();
  drawGuide();
  $("guide-body").scrollTop = 0;
  show("guide", `${name(state.svc)}。${T.sayGuide}`);
}

// The "more below" bar under the guide, while part of it is out of sight
function moreBelow() {
  const g = $("guide-body");
  $("guide-more").hidden = state.screen !== "guide"
    || g.scrollTop + g.clientHeight >= g.scrollHeight - 4;
}

function drawGuide() {
  const svc = state.svc;
  $("guide-title").textContent = name(svc);
  drawStatus(svc);
  const facts = [];
  if (svc.kind === "promised") {
    let promised = fill(T.promised, { days: svc.promised_days });
    if (svc.legal_days) promised += `（${fill(T.legal, { days: svc.legal_days })}）`;
    facts.push(promised);
  } else {
    facts.push(T.instant);
  }
  facts.push(fill(T.timeLimit, { min: svc.expected_visit_min, limit: svc.time_limit_min }));
  facts.push(svc.hours.length ? fill(T.hours, { hours: svc.hours.join(", ") }) : T.allDay);
  if (svc.quota_left != null) facts.push(fill(T.quotaLeft, { n: svc.quota_left }));
  if (svc.per_person_limit) facts.push(fill(T.perPerson, { n: svc.per_person_limit }));
  $("guide-facts").replaceChildren(...facts.map((f) => el("li", "", f)));
  for (const part of document.querySelectorAll(".k-guide-part")) {
    const value = svc.guide[part.dataset.part];
    part.hidden = !value || (Array.isArray(value) && value.length === 0);
    if (part.hidden) continue;
    const list = part.querySelector("ol");
    if (list) {
      const items = Array.isArray(value) ? value : [value];
      list.replaceChildren(...items.map((v) => el("li", "", v)));
    } else {
      part.querySelector("p").textContent = Array.isArray(value) ? value.join("；") : value;
    }
  }
  const hallCode = encodeURIComponent(state.catalog.hall.code);
  $("guide-qr").src = `/guide/qr/${hallCode}/${encodeURIComponent(svc.code)}.svg`;
  const reasons = state.catalog.priority_reasons || [];
  $("k-take").disabled = !svc.available;
  $("k-priority").disabled = !svc.available;
  $("k-priority").hidden = reasons.length === 0;
}

function drawStatus(svc) {
  const status = $("guide-status");
  status.className = `k-status k-status-${svc.state}`;
  status.textContent = svc.available
    ? `${T.stateOpen} · ${fill(T.waiting, { n: svc.waiting })} · ${waitText(svc.estimated_wait)}`
    : svc.reason_text || T[`state${camel(svc.state)}`];
}

function openPriority() {
  const reasons = state.catalog.priority_reasons || [];
  $("reason-grid").replaceChildren(...reasons.map((r) => {
    const b = el("button", "k-card k-card-reason", r);
    b.type = "button";
    b.dataset.reason = r;
    b.addEventListener("click", () => take("priority", r));
    return b;
  }));
  show("priority");
}

// ---- taking a number ----------------------------------------------------------------

function take(kind, reason) {
  const svc = state.svc;
  if (!svc) return home();
  if (!svc.available) return fail(svc.reason_text || T.failed);
  state.pending = { action: "issue", kind, reason };
  if (state.card && state.card.priority && kind === "normal") state.pending.kind = "priority";
  if (svc.per_person_limit && !state.card) return askIdNumber(fill(T.perPerson, { n: svc.per_person_limit }));
  issue(null);
}

function askIdNumber(hint) {
  resetEntry($("idnum-entry"));
  $("idnum-hint").textContent = hint;
  show("idnum");
}

function needsIdNumber(err) {
  // the server counts tickets per person for this service: ask, then try again
  const e = err.body && err.body.error;
  return Boolean(e && e.field === "id_number" && e.code === "id_number_required");
}

async function issue(idNumber) {
  const { kind, reason } = state.pending || { kind: "normal", reason: null };
  const payload = { service: state.svc.id, kind };
  if (kind === "priority") payload.priority_reason = reason;
  if (idNumber) payload.id_number = idNumber;
  else if (state.card) payload.card = state.card.card;
  if (payload.card && kind === "priority") delete payload.priority_reason; // the card's own
  show("busy");
  try {
    const ticket = await api("POST", "/api/v1/tickets", payload);
    state.pending = null;
    forgetCard();
    await showTicket(ticket);
  } catch (err) {
    if (!idNumber && needsIdNumber(err)) return askIdNumber(err.message);
    state.pending = null;
    fail(err.message, state.svc ? "guide" : "home");
  }
}

async function checkIn(idNumber) {
  const value = entryValue($("appt-entry"));
  if (!value) return fail(T.codeEmpty, "appt");
  const payload = state.apptBy === "phone" ? { phone: value } : { code: value };
  if (idNumber) payload.id_number = idNumber;
  show("busy");
  try {
    const ticket = await api("POST", "/api/v1/appointments/check-in", payload);
    state.pending = null;
    await showTicket(ticket);
  } catch (err) {
    if (!idNumber && needsIdNumber(err)) {
      state.pending = { action: "checkin" };
      return askIdNumber(err.message);
    }
    state.pending = null;
    fail(err.message, "appt");
  }
}

async function showTicket(ticket) {
  state.ticket = ticket;
  $("r-number").textContent = ticket.number;
  const svc = ticket.service || {};
  $("r-service").textContent = name(svc);
  const kind = $("r-kind");
  const note = ticket.appointment && ticket.appointment.message; // on time, or late: walk-in
  kind.textContent = note
    || (ticket.priority_reason ? `${$("k-priority").textContent} · ${ticket.priority_reason}` : "");
  kind.hidden = !kind.textContent;
  $("r-ahead").textContent = aheadText(ticket.ahead || 0);
  $("r-wait").textContent = `${T.estimatedWait}: ${waitText(ticket.estimated_wait)}`;
  $("r-qr").src = ds.qrUrl.replace("TOKEN", encodeURIComponent(ticket.token));
  $("r-reprint").hidden = true;
  if (phoneNotice) phoneNotice.offer(ticket); // 短信提醒, when the hall sends texts
  setPrint("pending", T.printing);
  show("result", fill(T.sayNumber, { number: spell(ticket.number), ahead: aheadText(ticket.ahead || 0) }));
  await print(() => api("POST", "/api/v1/print-jobs", { ticket_id: ticket.id, lang: LOCALE }));
}

function spell(number) {
  return number.split("").join(" ");
}

function setPrint(status, message) {
  const box = $("r-print");
  box.dataset.print = status;
  box.textContent = message;
}

async function print(send) {
  let answer;
  try {
    answer = await send();
  } catch (err) {
    setPrint("failed", `${T.printFailed} (${err.message})`);
    $("r-reprint").hidden = false;
    return;
  }
  setPrint(answer.state, answer.message || (answer.state === "printed" ? T.printed : T.printing));
  $("r-reprint").hidden = answer.state !== "failed";
  if (answer.state === "pending") await followJob(answer.job.id);
  heartbeat(); // the printer's state may have changed: refresh the banner
}

async function followJob(jobId) {
  // an agent PC prints it: ask how it went, for a while
  for (let i = 0; i < JOB_POLL_TRIES; i += 1) {
    await new Promise((r) => setTimeout(r, JOB_POLL_MS));
    if (state.screen !== "result") return;
    let job;
    try {
      job = await api("GET", `/api/v1/print-jobs/${jobId}`);
    } catch {
      continue;
    }
    if (job.state === "printed") return setPrint("printed", T.printed);
    if (job.state === "failed") {
      $("r-reprint").hidden = false;
      return setPrint("failed", `${T.printFailed} (${job.error || ""})`);
    }
  }
}

function reprint() {
  if (!state.ticket) return;
  $("r-reprint").hidden = true;
  setPrint("pending", T.printing);
  print(() => api("POST", `/api/v1/tickets/${state.ticket.id}/reprint`, { lang: LOCALE }));
}

// ---- errors, idle, elder mode ------------------------------------------------------------

function fail(message, back) {
  $("k-error-text").textContent = message;
  $("k-error").hidden = false;
  if (state.screen === "busy") show(back || "home");
  speak(message);
}

function home() {
  state.dept = null;
  state.svc = null;
  state.page.home = 0;
  show("home", T.sayHome);
  drawHome();
  loadCatalog();
}

function touched() {
  state.lastActive = Date.now();
  $("k-countdown").hidden = true;
}

function atRest() {
  return state.screen === "home" && !state.elder && LOCALE === body.dataset.defaultLocale
    && $("k-error").hidden && !state.card;
}

function tick() {
  const idle = (Date.now() - state.lastActive) / 1000;
  const left = Math.ceil(IDLE_S - idle);
  const now = hallTime();
  $("k-clock").textContent = now;
  if (!state.token && !PREVIEW) return; // not paired: a clock and how to pair, nothing else
  if (now !== state.minute) {
    if (state.minute && state.catalog && boundaries().has(now)) loadCatalog();
    state.minute = now;
  }
  if (atRest() || state.screen === "busy") {
    $("k-countdown").hidden = true;
    return;
  }
  if (left <= 0) return restart();
  if (left <= WARN_S) {
    $("k-countdown").hidden = false;
    $("k-countdown-text").textContent = fill(T.countdown, { s: left });
  }
}

// The hall's own time (halls.timezone), whatever the zone of the kiosk's OS or the server
function hallTime() {
  return new Date().toLocaleTimeString("en-GB", {
    hour: "2-digit", minute: "2-digit", hour12: false,
    timeZone: (state.catalog && state.catalog.hall.timezone) || ds.tz || undefined,
  });
}

// Minutes at which a service opens or closes (and midnight: a new day, new quotas); the
// catalog is read again then, as no event says so
function boundaries() {
  const at = new Set(["00:00"]);
  for (const dep of state.catalog.departments) {
    for (const svc of dep.services) {
      for (const span of svc.hours) for (const t of span.split("-")) at.add(t);
    }
  }
  return at;
}

function restart() {
  // back to the start for the next visitor: default language, elder mode off
  $("k-countdown").hidden = true;
  $("k-error").hidden = true;
  setElder(false);
  forgetCard();
  state.lastActive = Date.now();
  if (LOCALE !== body.dataset.defaultLocale) {
    window.location.replace(`${window.location.pathname}?lang=${body.dataset.defaultLocale}`);
    return;
  }
  home();
}

function setElder(on) {
  state.elder = on;
  body.classList.toggle("elder", on);
  $("k-elder").setAttribute("aria-pressed", on ? "true" : "false");
  try {
    sessionStorage.setItem("kiosk.elder", on ? "1" : "0");
  } catch {
    /* fine */
  }
  if (state.catalog) {
    drawHome();
    drawServices();
  }
  moreBelow();
}

// ---- data -------------------------------------------------------------------------

async function loadCatalog() {
  try {
    state.catalog = await api("GET", ds.catalogUrl);
  } catch (err) {
    if (!state.catalog) fail(err.message, "home");
    return;
  }
  body.dataset.state = "ready";
  $("k-hall").textContent = state.catalog.hall.display_name;
  if (state.dept) {
    state.dept = state.catalog.departments.find((d) => d.id === state.dept.id) || state.dept;
  }
  if (state.svc) state.svc = findService(state.svc.code) || state.svc;
  redraw();
  listen();
}

// What the visitor looks at, drawn again from the catalog as it is now
function redraw() {
  if (state.screen === "home") drawHome();
  else if (state.screen === "services" && state.dept) drawServices();
  else if (state.screen === "guide" && state.svc) {
    drawGuide();
    moreBelow();
  }
}

const loadCatalogSoon = debounce(loadCatalog, CATALOG_SOON_MS);

// A service's counts changed: its words change in place (a button redrawn under a finger
// would lose the tap); the guide has no buttons in what it redraws
function drawCounts(svc) {
  if (state.screen === "services") {
    const card = $("svc-grid").querySelector(`[data-service="${CSS.escape(svc.code)}"]`);
    if (card) card.querySelector(".k-card-sub").textContent = cardFacts(svc);
  } else if (state.screen === "guide" && state.svc && state.svc.id === svc.id) {
    drawGuide();
  }
}

// Live: the hall's room, as the screens and the counter terminal follow it. A change in
// the console (config.changed) reaches the kiosk at once; a line's new length
// (queue.stats) is drawn from the event itself, as is a quota's count; a window opening
// or closing, or a quota running out, asks for the catalog again. After a reconnect the
// missed events come first (or a snapshot): the catalog is read again then.
function listen() {
  if (state.live) return; // (a preview follows the room with the supervisor's session)
  state.live = connectLive({
    room: `hall:${state.catalog.hall.id}`, token: state.token,
    lastSeq: state.catalog.last_seq || 0,
    onEvent: onHallEvent,
    onSynced: ({ snapshot, count }) => {
      if (snapshot || count) loadCatalogSoon();
    },
    onStatus: (status) => {
      // dropped or refused by the server: a revoked kiosk learns it from the API (401)
      if (status === "offline" || status === "refused") heartbeat();
    },
  });
}

function onHallEvent(e, { replayed }) {
  if (e.type === "config.changed") {
    if (!replayed) loadCatalog();
  } else if (e.type === "queue.stats") {
    const svc = serviceById(e.service_id);
    if (!svc) return;
    svc.waiting = e.waiting;
    svc.open_counters = e.open_counters;
    svc.estimated_wait = e.estimated_wait;
    drawCounts(svc);
  } else if (e.type === "counter.state") {
    loadCatalogSoon();
  } else if (e.type === "ticket.issued" && !replayed) {
    const svc = serviceById(((e.ticket || {}).service || {}).id);
    if (!svc || svc.quota_left == null) return;
    svc.quota_left = Math.max(0, svc.quota_left - 1);
    if (svc.quota_left === 0) loadCatalogSoon(); // sold out: the catalog says why
    else drawCounts(svc);
  }
}

function serviceById(id) {
  if (!state.catalog || id == null) return null;
  for (const dep of state.catalog.departments) {
    const svc = dep.services.find((s) => s.id === id);
    if (svc) return svc;
  }
  return null;
}

// ---- the ID card reader (a kiosk whose reader the server drives: data-card-url) ----------

async function pollCard() {
  if (state.card || ["busy", "ticket"].includes(state.screen)) return;
  try {
    const read = await api("POST", ds.cardUrl);
    if (!read.card) return cardProblem(read.message);
    state.card = read;
    touched();
    const banner = $("k-card-banner");
    delete banner.dataset.problem;
    banner.textContent = fill(T.cardRead, { holder: read.holder })
      + (read.priority ? ` · ${T.cardPriority}` : "");
    banner.hidden = false;
    speak(banner.textContent);
  } catch (err) {
    // the server's answer about the card (a mistyped ID number: 422), not a network blip
    cardProblem(err.body && err.body.error ? err.message : null);
  }
}

// A card that could not be read, or was refused, says so while it lies on the reader; the
// visitor can still take a number without it.
function cardProblem(message) {
  const banner = $("k-card-banner");
  if (!message) {
    if (banner.dataset.problem) forgetCard();
    return;
  }
  if (banner.dataset.problem === message && !banner.hidden) return;
  banner.dataset.problem = message;
  banner.textContent = message;
  banner.hidden = false;
  speak(message);
}

function forgetCard() {
  state.card = null;
  const banner = $("k-card-banner");
  banner.hidden = true;
  delete banner.dataset.problem;
}

async function heartbeat() {
  try {
    const beat = await api("POST", ds.heartbeatUrl);
    const banner = $("k-printer-banner");
    banner.hidden = beat.printer_ok;
    banner.textContent = beat.message || "";
  } catch {
    /* the next beat will tell */
  }
}

// ---- wiring -------------------------------------------------------------------------

let phoneNotice = null; // the 短信提醒 entry (notify/kiosk-notify.js), once wired

function wire() {
  body.dataset.defaultLocale = "zh_CN";
  for (const ev of ["pointerdown", "keydown", "touchstart"]) {
    document.addEventListener(ev, touched, { passive: true, capture: true });
  }
  document.addEventListener("click", (ev) => {
    const go = ev.target.closest("[data-go]");
    if (!go) return;
    const to = go.dataset.go;
    if (to === "home") home();
    else if (to === "services" && state.dept) show("services");
    else if (to === "guide" && state.pending && state.pending.action === "checkin") show("appt");
    else if (to === "guide" && state.svc) show("guide");
    else home();
  });
  for (const pager of document.querySelectorAll(".k-pager")) {
    pager.addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-page]");
      if (!b) return;
      state.page[pager.dataset.key] += Number(b.dataset.page);
      if (pager.dataset.key === "home") drawHome();
      else drawServices();
    });
  }
  $("guide-body").addEventListener("scroll", moreBelow, { passive: true });
  window.addEventListener("resize", moreBelow);
  $("guide-more").addEventListener("click", () => {
    const g = $("guide-body");
    g.scrollBy({ top: g.clientHeight * 0.9, behavior: "smooth" });
  });
  $("k-take").addEventListener("click", () => take("normal", null));
  $("k-priority").addEventListener("click", openPriority);
  $("k-appt").addEventListener("click", () => {
    resetEntry($("appt-entry"));
    show("appt");
  });
  $("k-elder").addEventListener("click", () => {
    setElder(!state.elder);
    speak(state.screen === "home" ? T.sayHome : "");
  });
  $("k-error-ok").addEventListener("click", () => {
    $("k-error").hidden = true;
  });
  $("k-stay").addEventListener("click", touched);
  $("r-reprint").addEventListener("click", reprint);
  bindPad($("idnum-pad"), $("idnum-entry"), 18,
          (value, k) => k !== "X" || value.length === 17, maskIdNumber);
  $("idnum-ok").addEventListener("click", () => {
    const id = entryValue($("idnum-entry"));
    const problem = idNumberProblem(id);
    if (problem) return fail(problem === "check" ? T.idCheck : T.idInvalid, "idnum");
    if (state.pending && state.pending.action === "checkin") checkIn(id);
    else issue(id);
  });
  bindPad($("appt-pad"), $("appt-entry"), 16, () => true);
  for (const tab of document.querySelectorAll(".k-tab")) {
    tab.addEventListener("click", () => {
      state.apptBy = tab.dataset.by;
      for (const t of document.querySelectorAll(".k-tab")) {
        t.setAttribute("aria-selected", t === tab ? "true" : "false");
      }
      resetEntry($("appt-entry"));
    });
  }
  $("appt-ok").addEventListener("click", () => checkIn(null));
  // 办件查询: its own screens (case/kiosk-case.js), back to the start like every other
  const cases = caseLookup({ api, show, fail, home, speak, strings: T, locale: LOCALE,
                             prefixUrl: ds.casePrefixUrl });
  $("k-case").addEventListener("click", cases.open);
  // 我要投诉建议: its own screens (complaint/kiosk-complaint.js)
  const complaint = complaintForm({ api, show, fail, speak, strings: T, locale: LOCALE,
                                    catalog: () => state.catalog, qrUrl: ds.complaintQrUrl });
  $("k-complaint").addEventListener("click", complaint.open);
  // 短信提醒 after taking a number: its own screen (notify/kiosk-notify.js)
  phoneNotice = notifyEntry({ api, show, fail, speak, strings: T,
                              catalog: () => state.catalog, ticket: () => state.ticket });
  // keep the elder mode across a language switch
  for (const a of document.querySelectorAll("[data-lang-link]")) {
    a.addEventListener("click", () => touched());
  }
}

wire();
setElder(state.elder);
tick();
setInterval(tick, 1000);
if (state.token) {
  home();
  heartbeat();
  setInterval(heartbeat, HEARTBEAT_EVERY_MS);
  if (ds.cardUrl) setInterval(pollCard, CARD_POLL_MS);
} else if (PREVIEW) {
  home();
} else {
  // opened without a token (a new kiosk, or its storage cleared): say how to pair it
  body.dataset.state = "unpaired";
  show("unpaired");
}
