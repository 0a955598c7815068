// 好差评上报: counts by state (each a filter), the records (ratings, and cases' 受理 / 办结
// stages, their kind shown) with the endpoint's reason for a failure, "send again" on a
// failed one. Reads /api/v1/exchange with the staff session (+ X-CSRFToken on the
// resend); refreshes every few seconds while open (the worker moves rows on its own; no
// event is raised for that).
import { text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const API = "/api/v1/exchange";
const REFRESH_MS = 5000;
const api = new Api({ locale: ds.locale, onUnauthorized: () => window.location.reload() });
const page = { state: "" };

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function stateText(state) {
  return T[`state${state[0].toUpperCase()}${state.slice(1)}`] || state;
}

function draw(data) {
  for (const [state, n] of Object.entries(data.counts)) {
    text($(`count-${state}`).querySelector(".ex-n"), String(n));
  }
  for (const b of document.querySelectorAll(".ex-count")) {
    b.setAttribute("aria-pressed", String(b.dataset.state === page.state));
  }
  const tbody = $("records");
  tbody.replaceChildren();
  for (const r of data.records) {
    const rec = r.record || {};
    const tr = document.createElement("tr");
    tr.id = `record-${r.id}`;
    tr.className = `record state-${r.state}`;
    tr.dataset.state = r.state;
    const kind = rec.recordType || "evaluation"; // a case's stage: "affair", no star
    tr.dataset.kind = kind;
    cell(tr, rec.evalSerialNo || `${rec.affairSerialNo}-${rec.evalProcess}`, "key");
    cell(tr, T[`kind${kind[0].toUpperCase()}${kind.slice(1)}`] || kind, "kind");
    cell(tr, rec.affairSerialNo);
    cell(tr, rec.affairName);
    cell(tr, T[`stage-${rec.evalProcess}`] || rec.evalProcess);
    cell(tr, rec.star != null ? "★".repeat(rec.star) : "");
    cell(tr, rec.windowNo);
    cell(tr, stateText(r.state), "state");
    cell(tr, String(r.attempts));
    cell(tr, r.last_error || "", "reason");
    const act = cell(tr, "");
    if (r.state === "failed") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "resend";
      b.textContent = T.resend;
      b.addEventListener("click", () => resend(r.id));
      act.append(b);
    }
    tbody.append(tr);
  }
  $("records-empty").hidden = data.records.length > 0;
}

async function load() {
  const params = new URLSearchParams(page.state ? { state: page.state } : {});
  draw(await api.get(`${API}?${params}`));
  text($("ex-error"), "");
  document.body.dataset.loaded = String(Date.now());
}

function flash(words) {
  const m = $("ex-message");
  text(m, words);
  m.hidden = false;
  setTimeout(() => { m.hidden = true; }, 2500);
}

async function resend(id) {
  try {
    await api.post(`${API}/${id}/resend`);
    flash(T.resent);
    await load();
  } catch (err) {
    text($("ex-error"), err.message);
  }
}

for (const b of document.querySelectorAll(".ex-count")) {
  b.addEventListener("click", () => {
    page.state = b.dataset.state;
    load().catch((err) => text($("ex-error"), err.message));
  });
}
load().catch((err) => text($("ex-error"), err.message));
setInterval(() => load().catch((err) => text($("ex-error"), err.message)), REFRESH_MS);
