// Drawing the terminal from the server's picture of the counter (GET /api/v1/counters/<id>)
// and its figures (…/today). Nothing here remembers state: every call redraws from its input.
import { fill, text } from "/display/static/hall-live.js";
import { alertWords } from "/web/static/alert-words.js";
import { duration, limitState, minutes } from "./clock.js";

const $ = (id) => document.getElementById(id);
export const T = document.getElementById("strings").dataset;
const english = document.body.dataset.lang === "en";

export function serviceName(s) {
  return (english && s.name_en) || s.name;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

export function outcomeLabel(value) {
  return T[`outcome${value.charAt(0).toUpperCase()}${value.slice(1)}`] || value;
}

// May the counter take this command now? The server says, with the board: the life cycle's
// allowed actions for the ticket at the window within what the counter's state allows
// (hall/domain/counter_actions.py). It still checks every command; the page only avoids
// futile clicks and never restates the rules.
export function allowed(board, action) {
  return Boolean(board && board.actions && board.actions.includes(action));
}

let shownCounter = ""; // this window's number, for an alert whose payload lacks it

export function renderHeader(board, me) {
  const c = board.counter;
  shownCounter = c.number;
  text($("t-counter"), `${fill(T.window, { counter: c.number })} · ${c.name}`);
  const st = $("t-state");
  st.dataset.state = c.state;
  const words = { open: T.stateOpen, closed: T.stateClosed,
                  paused: fill(T.statePaused, { reason: c.pause_reason || "" }) };
  text(st, words[c.state] || c.state);
  // in full where a long name or reason ends in "…" (terminal.css)
  for (const box of [$("t-counter"), st]) box.title = box.textContent;
  text($("t-staff"), (c.staff && c.staff.name) || (me && me.name) || "");
}

export function renderCurrent(board) {
  const cur = board.current;
  const box = $("t-current");
  box.dataset.state = cur ? cur.state : "none";
  box.dataset.ticketId = cur ? String(cur.id) : "";
  text($("t-number"), cur ? cur.number : "—");
  text($("t-ticket-state"), cur ? (cur.state === "serving" ? T.ticketServing : T.ticketCalled)
                                : T.noTicket);
  text($("t-service"), cur ? serviceName(cur.service) : "");
  const kind = $("t-kind");
  let kindText = "";
  if (cur && cur.kind === "priority") kindText = fill(T.priority, { reason: cur.priority_reason || "" });
  else if (cur && cur.kind === "appointment") kindText = T.appointment;
  // a chain's later step also has a parent (the step before): that is no transfer
  if (cur && cur.parent_id && !cur.chain) kindText = [kindText, T.transferred].filter(Boolean).join(" · ");
  kind.hidden = !kindText;
  text(kind, kindText);
  renderChain(cur && cur.chain);
  // 首问: who the visitor asked first at the desk (and who took the number for them)
  const first = cur && cur.first_contact;
  $("t-first").hidden = !first;
  text($("t-first"), first ? fill(first.number ? T.firstContactNo : T.firstContact,
                                  { name: first.name, number: first.number || "" }) : "");
  text($("t-reason"), cur ? (cur.call_reason_text || cur.call_reason || "—") : "—");
  let waited = "—";
  if (cur && cur.waited_s != null) {
    waited = fill(T.waited, { minutes: minutes(cur.waited_s) });
    if (cur.recalls) waited += ` · ${fill(T.recalls, { n: cur.recalls })}`;
  }
  text($("t-waited"), waited);
  const svc = cur && cur.service;
  text($("t-limit-of"), svc && svc.time_limit_s > 0
    ? fill(T.limitOf, { minutes: minutes(svc.time_limit_s), warning: minutes(svc.warning_s) })
    : "");
}

// 多窗联办: 第2步/共3步 缴纳税费 under the chain's name, and how each earlier step ended
// (税费核定 办结 ✓), so this window knows the visitor comes from the windows before it
function renderChain(chain) {
  $("t-chain").hidden = !chain;
  $("t-current").dataset.chain = chain ? `${chain.step}/${chain.of}` : "";
  if (!chain) {
    text($("t-chain-step"), "");
    $("t-chain-earlier").replaceChildren();
    return;
  }
  text($("t-chain-step"), `${serviceName(chain)} · ${fill(T.chainStep, {
    step: chain.step, of: chain.of, service: serviceName(chain.service) })}`);
  $("t-chain-earlier").replaceChildren(...(chain.earlier || []).map((e) => el("li",
    { dataset: { step: e.step, outcome: e.outcome || "" } },
    fill(T.chainDone, { service: serviceName(e.service),
                        outcome: e.outcome ? outcomeLabel(e.outcome) : "—" }))));
}

// every second: time since the call and the visit's countdown (yellow, then red)
export function renderClock(board, clock) {
  const cur = board && board.current;
  text($("t-since"), cur && cur.called_at
    ? fill(T.sinceCall, { time: duration(clock.since(cur.called_at)) }) : "—");
  const box = $("t-limit");
  if (!cur || cur.state !== "serving" || !cur.started_at) {
    box.dataset.limit = "none";
    document.body.dataset.limit = "none";
    text($("t-limit-left"), cur ? "" : "—");
    return;
  }
  const svc = cur.service;
  const elapsed = Math.max(0, clock.since(cur.started_at));
  const state = limitState(elapsed, svc.warning_s, svc.time_limit_s);
  box.dataset.limit = state;
  document.body.dataset.limit = state;
  if (state === "none") text($("t-limit-left"), T.noLimit);
  else if (state === "over") text($("t-limit-left"), fill(T.over, { time: duration(elapsed - svc.time_limit_s) }));
  else text($("t-limit-left"), fill(T.left, { time: duration(svc.time_limit_s - elapsed) }));
}

export function renderButtons(board) {
  for (const button of document.querySelectorAll("#terminal [data-action]")) {
    button.disabled = !allowed(board, button.dataset.action);
  }
  // one place for pause and resume: resume when the counter may resume, else pause
  const resumable = allowed(board, "resume");
  $("btn-pause").hidden = resumable;
  $("btn-resume").hidden = !resumable;
  document.body.dataset.actions = (board.actions || []).join(" ");
}

export function renderLists(board, handlers) {
  const queues = $("t-queues");
  // 多窗联办 numbers waiting in a line are counted beside it: they come with a step done
  queues.replaceChildren(...board.queues.map((q) => el("li", { dataset: { serviceId: q.id } },
    el("span", { className: "ct-q-name" }, `${q.prefix} · ${serviceName(q)}`),
    ...(q.chained ? [el("span", { className: "ct-q-chained" }, fill(T.chained, { n: q.chained }))]
      : []),
    el("span", { className: "ct-q-waiting" }, String(q.waiting)))));
  if (board.directed_waiting) {
    queues.append(el("li", { dataset: { serviceId: "directed" } },
      el("span", { className: "ct-q-name" }, T.waitingHere),
      el("span", { className: "ct-q-waiting" }, String(board.directed_waiting))));
  }
  // a listed ticket's button is there only while the server allows its action
  const row = (t, label, action) => el("li", { dataset: { ticketId: t.id } },
    el("span", {}, t.number),
    ...(t.step ? [el("span", { className: "ct-step-mark" }, fill(T.stepMark, { step: t.step }))]
      : []),
    ...((t.actions || []).includes(action)
      ? [el("button", { type: "button", className: "ct-link", dataset: { ticketAction: action },
                        onclick: () => handlers[action](t) }, label)]
      : []));
  $("t-held").replaceChildren(...board.held.map((t) => row(t, T.unhold, "unhold")));
  $("t-no-shows").replaceChildren(...board.no_shows.map((t) => row(t, T.reinstate, "reinstate")));
}

export function renderToday(today) {
  const none = T.none;
  text($("today-served"), String(today.served));
  text($("today-avg"), today.service_mean_s == null ? none : duration(today.service_mean_s));
  text($("today-no-shows"), String(today.no_shows));
  text($("today-ratings"), String(today.ratings.count));
  text($("today-rating-mean"), today.ratings.mean == null ? none : today.ratings.mean.toFixed(1));
  text($("today-satisfaction"), today.ratings.satisfaction_rate == null ? none
    : `${(today.ratings.satisfaction_rate * 100).toFixed(0)}%`);
}

export function renderAlerts(alerts, onAck) {
  const card = $("t-alerts-card");
  card.hidden = alerts.length === 0;
  $("t-alerts").replaceChildren(...alerts.map((a) => {
    const label = alertWords(a, $("strings"), () => shownCounter) || T.alertOther;
    const item = el("li", { className: `ct-alert ${a.level}`, dataset: { alertId: a.id } },
      el("span", {}, label));
    if (!a.acked_at) {
      const note = el("input", { maxLength: 500, placeholder: T.ackNote });
      item.append(note, el("button", { type: "button", className: "ct-link",
                                      onclick: () => onAck(a, note.value) }, T.ack));
    }
    return item;
  }));
}

// where a visit's paper prints as a page (counter/documents.py): an 80 mm roll by default
export function documentPage(result, print = false) {
  return `/counter/documents/${encodeURIComponent(result.ticketId)}?paper=80${print ? "&print=1" : ""}`;
}

// the last visit's outcome: case number and due date, or the 补正 list to hand over, and
// the paper it gives the visitor (受理回执, 不予受理通知书, 一次性告知书) with 打印; a window
// with its own printer also offers the page
export function renderResult(result, printer = null) {
  const box = $("t-result");
  box.hidden = !result;
  if (!result) return;
  box.dataset.outcome = result.outcome || result.kind;
  let words = "";
  if (result.kind === "finished") words = fill(T.finished, { number: result.number,
                                                          outcome: outcomeLabel(result.outcome) });
  else if (result.kind === "transferred") words = fill(T.transferredTo, { number: result.number,
                                                                       new: result.newNumber });
  else if (result.kind === "skipped") words = fill(T.skipped, { number: result.number });
  else if (result.kind === "held") words = fill(T.held, { number: result.number });
  text($("t-result-text"), words);
  const hasCase = Boolean(result.caseNumber);
  $("t-case").hidden = !hasCase;
  text($("t-case-number"), result.caseNumber || "");
  text($("t-case-due"), result.caseDue || "");
  const missing = result.missing || [];
  $("t-correction").hidden = missing.length === 0;
  text($("t-correction-ticket"), result.number || "");
  text($("t-correction-service"), result.service || "");
  $("t-correction-list").replaceChildren(...missing.map((m) => el("li", {}, m)));
  text($("t-correction-foot"), result.at || "");
  const doc = $("t-document");
  doc.hidden = !result.document;
  doc.dataset.kind = result.document || "";
  if (!result.document) return;
  const title = T[`document${result.document.charAt(0).toUpperCase()}${result.document.slice(1)}`];
  text($("t-document-title"), title || result.document);
  const page = $("t-document-page");
  page.hidden = !printer;
  page.href = documentPage(result);
}
