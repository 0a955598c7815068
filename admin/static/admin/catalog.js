// 实施清单与考核方案: what the region sent and the hall adopted, per kind; "adopt version N"
// (with what it would do first), each difference with the region's and the hall's value
// and a choice, and the catalog's services the hall may add. Reads GET /api/v1/catalog,
// writes through POST /api/v1/catalog/… with the staff session (+ X-CSRFToken).
import { Api } from "/web/static/api.js";
import { $, T, el, fill, flash } from "./people-common.js";

const api = new Api({ base: "/api/v1/catalog", locale: document.body.dataset.locale,
                      onUnauthorized: () => window.location.reload() });
const LABELS = JSON.parse(T.labels || "{}");
const KINDS = ["catalog", "scheme"];

function shown(value) {
  if (value === null || value === undefined || value === "") return T.none;
  if (Array.isArray(value)) return value.join("\n");
  if (value === "instant" || value === "promised") return T[value];
  return String(value);
}

// the entity (a service code, or rules | targets) and the field in words
function entityWords(kind, entity) {
  return kind === "scheme" ? (T[entity] || entity) : entity;
}

function fieldWords(kind, entity, field) {
  const table = kind === "catalog" ? LABELS.catalog : LABELS[entity];
  return (table && table[field]) || field;
}

function conflictRow(kind, c) {
  const choose = (choice) => el("button", {
    type: "button", class: `small choose-${choice}`,
    textContent: choice === "region" ? T.chooseRegion : T.keepLocal,
    onclick: () => decide(c.id, choice),
  });
  return el("tr", { id: `conflict-${c.id}`, dataset: { entity: c.entity, field: c.field } },
    el("td", { textContent: entityWords(kind, c.entity) }),
    el("td", { textContent: fieldWords(kind, c.entity, c.field) }),
    el("td", { class: "value region", textContent: shown(c.region) }),
    el("td", { class: "value local", textContent: shown(c.local) }),
    el("td", { class: "ppl-actions" }, choose("region"), choose("local")));
}

function addableRow(e) {
  const prefix = el("input", { class: "prefix", maxLength: 2, required: true,
                               pattern: "[A-Za-z]{1,2}", id: `prefix-${e.code}` });
  return el("tr", { id: `addable-${e.code}` },
    el("td", { textContent: e.code }), el("td", { textContent: e.name }),
    el("td", { textContent: e.department_name || e.department }),
    el("td", { textContent: shown(e.kind) }),
    el("td", { class: "num", textContent: `${e.legal_days ?? 0} / ${e.promised_days ?? 0}` }),
    el("td", {}, prefix),
    el("td", {}, el("button", { type: "button", class: "small add", textContent: T.add,
                                onclick: () => add(e.code, prefix.value) })));
}

function drawKind(kind, data) {
  $(`versions-${kind}`).textContent = fill(T.versions, {
    received: data.received ?? "–", adopted: data.adopted ?? "–" });
  const pending = data.pending;
  $(`pending-${kind}`).hidden = !pending;
  if (pending) {
    $(`preview-${kind}`).textContent = fill(T.preview, {
      version: pending.version, updates: pending.updates.length,
      conflicts: pending.conflicts.length, new: pending.new_services.length });
    $(`adopt-${kind}`).textContent = fill(T.adopt, { version: pending.version });
  }
  $(`conflicts-${kind}`).tBodies[0].replaceChildren(
    ...data.conflicts.map((c) => conflictRow(kind, c)));
  $(`conflicts-${kind}`).hidden = data.conflicts.length === 0;
  $(`no-conflicts-${kind}`).hidden = data.conflicts.length > 0;
}

async function load() {
  const data = await api.get("");
  for (const kind of KINDS) drawKind(kind, data[kind]);
  const addable = data.catalog.addable;
  $("addable").tBodies[0].replaceChildren(...addable.map(addableRow));
  $("addable").hidden = addable.length === 0;
  $("no-addable").hidden = addable.length > 0;
  $("catalog-error").textContent = "";
  document.body.dataset.loaded = String(Date.now());
}

async function act(work) {
  try {
    await work();
    await load();
  } catch (err) {
    $("catalog-error").textContent = err.message;
  }
}

function adopt(kind) {
  return act(async () => {
    const done = await api.post("/adopt", { kind });
    flash(fill(T.adopted, { version: done.version, updated: done.updated.length,
                            conflicts: done.conflicts }));
  });
}

function decide(id, choice) {
  return act(async () => {
    await api.post(`/conflicts/${id}`, { choice });
    flash(T.decided);
  });
}

function add(code, prefix) {
  return act(async () => {
    await api.post("/services", { code, prefix: prefix.trim().toUpperCase() });
    flash(T.added);
  });
}

for (const kind of KINDS) $(`adopt-${kind}`).addEventListener("click", () => adopt(kind));
load().catch((err) => { $("catalog-error").textContent = err.message; });
