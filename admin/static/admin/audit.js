// /admin/audit: the configuration audit log, newest first, filtered by what, which, who
// and when; each entry's before and after shown as the fields that changed. Pages go back
// in time with before_id (the last id of the page shown).
import { $, T, call, diffList, el, fill, show, when } from "./people-common.js";

const LIMIT = 50;
const page = { entries: [], before: null, shown: 0, next: null };
window.hallAudit = page;
const IDENTITY = ["login", "code", "number", "name", "kind"];

// data-action-reset_password → T.actionReset_password
function label(kind, key) {
  return T[`${kind}${key[0].toUpperCase()}${key.slice(1)}`] || key;
}

function subject(e) {
  const side = e.after || e.before || {};
  const names = IDENTITY.filter((k) => side[k] !== undefined && typeof side[k] !== "object")
    .map((k) => show(side[k], k));
  return [label("entity", e.entity), e.entity_id ? `#${e.entity_id}` : "", ...names]
    .filter(Boolean).join(" ");
}

// "staff:admin:1" → 系统管理员 #1; "system" → 系统
function whoKind(actor) {
  const [kind, role, id] = String(actor || "").split(":");
  if (kind === "system" || !role) return T.system || kind;
  return [show(role, "role"), id ? `#${id}` : ""].filter(Boolean).join(" ");
}

function who(e) {
  return e.actor === "system" || !e.actor_name || e.actor_name === "system"
    ? T.system || e.actor : e.actor_name;
}

function row(e) {
  return el("tr", {
    id: `audit-${e.id}`, class: `entity-${e.entity} action-${e.action}`,
    dataset: { entity: e.entity, action: e.action, entityId: e.entity_id ?? "" },
  },
  el("td", { class: "at" }, when(e.at)),
  el("td", { class: "actor" }, who(e), el("small", {}, whoKind(e.actor)),
    e.ip ? el("small", {}, e.ip) : null),
  el("td", { class: "action" }, label("action", e.action)),
  el("td", { class: "subject" }, subject(e)),
  el("td", { class: "changes" }, diffList(e.before, e.after)));
}

function query() {
  const params = new URLSearchParams({ limit: String(LIMIT) });
  for (const [id, key] of [["filter-entity", "entity"], ["filter-entity-id", "entity_id"],
    ["filter-actor", "actor"]]) {
    const value = $(id).value.trim();
    if (value) params.set(key, value);
  }
  for (const [id, key] of [["filter-since", "since"], ["filter-until", "until"]]) {
    const value = $(id).value; // the browser's local time, sent as an instant
    if (value) params.set(key, new Date(value).toISOString());
  }
  if (page.before) params.set("before_id", String(page.before));
  return params;
}

async function load() {
  $("audit-error").textContent = "";
  try {
    const data = await call("GET", `/audit?${query()}`);
    page.entries = data.entries;
    page.next = data.next_before_id;
  } catch (err) {
    $("audit-error").textContent = err.message;
    return;
  }
  $("audit").replaceChildren(...page.entries.map(row));
  $("audit-empty").hidden = page.entries.length > 0;
  $("page-older").hidden = page.next == null;
  $("page-newest").hidden = page.before == null;
  $("page-info").textContent = page.entries.length
    ? fill(T.page, { first: page.shown + 1, last: page.shown + page.entries.length }) : "";
  document.body.dataset.loaded = String(Date.now());
}

function restart() {
  page.before = null;
  page.shown = 0;
  return load();
}

async function actors() {
  try {
    const { staff } = await call("GET", "/staff");
    $("actors").replaceChildren(...staff.map((s) => el("option", {
      value: `staff:${s.role}:${s.id}`, label: `${s.name} (${s.login})`,
    })));
  } catch (err) {
    console.warn("no staff list for the filter", err);
  }
}

$("audit-filters").addEventListener("submit", (e) => { e.preventDefault(); restart(); });
$("audit-filters").addEventListener("reset", () => setTimeout(restart));
$("page-older").addEventListener("click", () => {
  page.shown += page.entries.length;
  page.before = page.next;
  load();
});
$("page-newest").addEventListener("click", restart);
actors();
restart();
