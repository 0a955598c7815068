// 办件 page: list with filters (GET /api/v1/cases), yellow/red rows, start / done / return
// (POST /api/v1/cases/<number>/<action> with the CSRF token); re-reads on case events.
// A case in parts (并联审批) is followed by a row per department's part, acted on with the
// same actions under /api/v1/cases/<number>/parts/<part>/; the case row itself is derived.
// A case accepted by a known staff member can be the evidence of an admonition (效能告诫).
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";
import { admonish, askAdmonition } from "./supervise.js";

const ds = document.body.dataset;
const strings = document.getElementById("strings");
const S = (name, values) => {
  const s = strings.getAttribute(`data-${name}`) ?? name;
  return values ? fill(s, values) : s;
};
const $ = (id) => document.getElementById(id);
const ACTIONS = {
  accepted: ["start", "finish", "return", "extend", "suspend", "urge"],
  in_progress: ["finish", "return", "extend", "suspend", "urge"],
  suspended: ["resume", "return"],
};
const SUSPEND = ["hearing", "inspection", "testing", "appraisal", "expert_review", "correction"];
const page = { cases: [], total: 0, loads: 0 };
window.hallCases = page;

// signed out elsewhere: reloading shows the sign-in form
const api = new Api({ locale: ds.locale, onUnauthorized: () => window.location.reload() });
const call = (method, url, payload) => api.request(method, url, payload);

function query() {
  const q = new URLSearchParams({ limit: "500" });
  for (const [id, name] of [["filter-service", "service_id"], ["filter-state", "state"],
                            ["filter-urgency", "urgency"]]) {
    if ($(id).value) q.set(name, $(id).value);
  }
  return q.toString();
}

async function load() {
  try {
    const reply = await call("GET", `/api/v1/cases?${query()}`);
    page.cases = reply.cases;
    page.total = reply.total;
    page.loads += 1;
    text($("cases-error"), "");
    render();
  } catch (err) {
    text($("cases-error"), err.message);
  }
}

function td(tr, value, cls) {
  const cell = document.createElement("td");
  if (cls) cell.className = cls;
  cell.textContent = value ?? "";
  tr.append(cell);
  return cell;
}

function dueAndState(tr, c) {
  td(tr, c.warning_date);
  const due = td(tr, c.due_date + (c.extension_days
    ? ` (${S("extended", { days: c.extension_days })})` : ""), "due");
  if (c.extension_days && Array.isArray(c.parts)) { // a case's (not a part's) 延期告知书
    const notice = document.createElement("a");
    notice.className = "extension-notice";
    notice.href = `/counter/cases/${encodeURIComponent(c.number)}/extension-notice?paper=a4`;
    notice.target = "_blank";
    notice.textContent = S("extension-notice");
    due.append(" ", notice);
  }
  if (c.urgency !== "normal") {
    const badge = document.createElement("span");
    badge.className = `badge badge-${c.urgency}`;
    badge.textContent = S(`urgency-${c.urgency}`);
    due.append(" ", badge);
  }
  const state = td(tr, S(`state-${c.state}`) + (c.done_on ? ` ${c.done_on}` : "")
    + (c.suspended_on ? ` ${S("suspended-since", { day: c.suspended_on })}` : ""), "state");
  if (c.state === "done" && c.done_on > c.due_date) { // ISO dates compare as text
    const late = document.createElement("span");
    late.className = "badge badge-red";
    late.textContent = S("late");
    state.append(" ", late);
  }
  return state;
}

function buttons(tr, actions, number, part) {
  const cell = td(tr, "", "actions");
  for (const action of actions) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = action;
    b.textContent = S(`action-${action}`);
    b.dataset.action = action;
    b.addEventListener("click", () => act(number, action, b, part));
    cell.append(b);
  }
}

function partRow(c, p) {
  const tr = document.createElement("tr");
  tr.id = `case-${c.number}-part-${p.part}`;
  tr.className = `case-part state-${p.state} urgency-${p.urgency}`;
  td(tr, S("part", { part: p.part }), "case-number");
  td(tr, p.department);
  td(tr, S("promised", { days: p.promised_days }));
  td(tr, "");
  dueAndState(tr, p);
  buttons(tr, (ACTIONS[p.state] || []).filter((a) => a !== "urge"), c.number, p.part);
  return tr;
}

function render() {
  const rows = page.cases.flatMap((c) => {
    const tr = document.createElement("tr");
    tr.id = `case-${c.number}`;
    tr.className = `state-${c.state} urgency-${c.urgency}`;
    td(tr, c.number, "case-number");
    const service = td(tr, c.service);
    if (c.fast_track) {
      const fast = document.createElement("span");
      fast.className = "badge badge-fast";
      fast.textContent = S("fast-track");
      service.append(" ", fast);
    }
    td(tr, c.applicant);
    td(tr, c.accepted_on);
    const state = dueAndState(tr, c);
    if (c.parts.length) state.append(` · ${S("in-parts", { count: c.parts.length })}`);
    // a case in parts moves only through its parts; it can still be urged
    const own = ACTIONS[c.state] || [];
    buttons(tr, [...c.parts.length ? own.filter((a) => a === "urge") : own,
                 ...c.staff_id && own.length ? ["admonish"] : []], c.number, null);
    return [tr, ...c.parts.map((p) => partRow(c, p))];
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    td(tr, S("empty")).colSpan = 8;
    rows.push(tr);
  }
  $("cases").replaceChildren(...rows);
  text($("cases-count"), S("count", { shown: page.cases.length, total: page.total }));
}

let messageTimer = null;
function say(message) {
  const box = $("message");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { box.hidden = true; }, 3000);
}

// what the case clock's commands and urging ask for (null: the supervisor cancelled)
function ask(action, number) {
  if (action === "extend") {
    const days = window.prompt(S("ask-days"), "5");
    const reason = days && window.prompt(S("ask-reason"));
    return reason ? { days: Number(days), reason } : null;
  }
  if (action === "suspend") {
    const pick = SUSPEND[Number(window.prompt(S("ask-suspend"), "3")) - 1];
    return pick ? { reason: pick } : null;
  }
  if (action === "urge") {
    const note = window.prompt(S("ask-urge"));
    return note ? { case_number: number, note } : null;
  }
  return {};
}

// 效能告诫 against the staff member who accepted the case, the case as its evidence
async function admonishFor(number, button) {
  const c = page.cases.find((x) => x.number === number);
  const asked = c && c.staff_id ? askAdmonition(S) : null;
  if (!asked) return;
  button.disabled = true;
  try {
    await admonish(api, { staff_id: c.staff_id }, asked,
                   { evidence_kind: "case", evidence_ref: number });
    say(S("admonished", { number }));
    text($("cases-error"), "");
  } catch (err) {
    text($("cases-error"), err.message);
  } finally {
    button.disabled = false;
  }
}

async function act(number, action, button, part) {
  if (action === "admonish") return admonishFor(number, button);
  if (action === "return" && !window.confirm(S("confirm-return", { number }))) return;
  const body = ask(action, number);
  if (body === null) return;
  button.disabled = true;
  try {
    const url = action === "urge" ? "/api/v1/urgings"
      : `/api/v1/cases/${encodeURIComponent(number)}`
        + `${part ? `/parts/${part}` : ""}/${action}`;
    const done = await call("POST", url, body);
    if (action === "urge") { say(S("action-urge") + " ✓"); button.disabled = false; return; }
    say(S("saved", { number: part ? `${done.number} · ${S("part", { part })}` : done.number,
                     state: S(`state-${done.case_state || done.state}`) }));
    await load();
  } catch (err) {
    text($("cases-error"), err.message);
    button.disabled = false;
  }
}

for (const id of ["filter-service", "filter-state", "filter-urgency"]) {
  $(id).addEventListener("change", () => load());
}

const later = debounce(load, 300);
connectLive({
  room: `hall:${ds.hall}`,
  lastSeq: Number(ds.lastSeq) || 0,
  onEvent: (e) => { if (e.type && e.type.startsWith("case.")) later(); },
  onSnapshot: () => later(),
  onSynced: () => {},
});
load();
