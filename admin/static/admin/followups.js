// Supervisor page for 差评整改: list (overdue highlighted), detail, assign, actions, close.
// Reads and writes /api/v1/followups with the staff session (+ X-CSRFToken on writes) and
// reloads when a followup.* event arrives in the hall's room. The bad review is the
// evidence of an admonition (效能告诫) against the staff member it rated.
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";
import { admonish, askAdmonition } from "./supervise.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const API = "/api/v1/followups";
const page = { items: [], selected: null, owners: [] };
window.hallFollowups = page;

const stamp = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN", {
  timeZone: ds.tz || "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", hour12: false,
});

const api = new Api({ locale: ds.locale });
const call = (method, url, payload) => api.request(method, url, payload);

function levelText(level) {
  return `${level} · ${T[`level-${level}`] || ""}`;
}

function stateText(f) {
  const key = { open: "stateOpen", assigned: "stateAssigned", closed: "stateClosed" }[f.state];
  return T[key] || f.state;
}

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function renderList() {
  const tbody = $("followups");
  tbody.replaceChildren();
  for (const f of page.items) {
    const tr = document.createElement("tr");
    tr.className = `followup state-${f.state}${f.overdue ? " overdue" : ""}` +
      (page.selected === f.id ? " selected" : "");
    tr.dataset.id = f.id;
    tr.id = `followup-${f.id}`;
    tr.tabIndex = 0;
    cell(tr, f.ticket_number);
    cell(tr, f.counter_number != null ? fill(T.window, { counter: f.counter_number }) : "");
    cell(tr, f.staff_name || "");
    cell(tr, levelText(f.level), `level level-${f.level}`);
    cell(tr, f.reason || "");
    cell(tr, f.owner_name || T.nobody);
    const due = cell(tr, f.due_date, "due");
    if (f.overdue) {
      const tag = document.createElement("span");
      tag.className = "tag-overdue";
      tag.textContent = T.overdue;
      due.append(" ", tag);
    }
    cell(tr, stateText(f), "state");
    tr.addEventListener("click", () => select(f.id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") select(f.id); });
    tbody.append(tr);
  }
  $("followups-empty").hidden = page.items.length > 0;
  text($("followups-count"), String(page.items.length));
}

function renderDetail(f) {
  const box = $("followup-detail");
  box.hidden = !f;
  if (!f) return;
  box.dataset.id = f.id;
  box.classList.toggle("overdue", f.overdue);
  text($("detail-title"), `${f.ticket_number} · ${fill(T.window, { counter: f.counter_number })}`
       + (f.staff_name ? ` · ${f.staff_name}` : ""));
  text($("detail-level"), levelText(f.level));
  text($("detail-reason"), f.reason || "");
  text($("detail-comment"), f.comment || "");
  text($("detail-rated-at"), f.rated_at ? stamp.format(new Date(f.rated_at)) : "");
  text($("detail-due"), f.due_date + (f.overdue ? ` (${T.overdue})` : ""));
  text($("detail-owner"), f.owner_name || T.nobody);
  text($("detail-result"), f.result || "");
  $("detail-admonish").hidden = !f.staff_id;
  const list = $("followup-actions");
  list.replaceChildren();
  for (const a of f.actions) {
    const li = document.createElement("li");
    const when = a.at ? stamp.format(new Date(a.at)) : "";
    li.textContent = `${when} ${a.by_name || ""}: ${a.text}`;
    list.append(li);
  }
  $("detail-forms").hidden = f.state === "closed";
  const select = $("assign-owner");
  select.replaceChildren();
  for (const o of page.owners) {
    const opt = document.createElement("option");
    opt.value = o.id;
    opt.textContent = o.number ? `${o.name} (${o.number})` : o.name;
    opt.selected = o.id === f.owner_id;
    select.append(opt);
  }
  text($("detail-error"), "");
}

async function load() {
  const params = new URLSearchParams({ state: $("filter-state").value });
  if ($("filter-overdue").checked) params.set("overdue", "true");
  const data = await call("GET", `${API}?${params}`);
  page.items = data.followups;
  page.lastSeq = data.last_seq;
  renderList();
  if (page.selected != null) {
    const f = page.items.find((x) => x.id === page.selected);
    if (f) renderDetail(f);
    else await select(page.selected);
  }
  body.dataset.loaded = String(Date.now());
}

async function select(id) {
  page.selected = id;
  try {
    renderDetail(await call("GET", `${API}/${id}`));
  } catch (err) {
    renderDetail(null);
    text($("detail-error"), err.message);
  }
  for (const tr of $("followups").children) {
    tr.classList.toggle("selected", Number(tr.dataset.id) === id);
  }
}

function flash(words) {
  const m = $("fu-message");
  text(m, words);
  m.hidden = false;
  setTimeout(() => { m.hidden = true; }, 2500);
}

async function change(path, payload, clear) {
  if (page.selected == null) return;
  try {
    const f = await call("POST", `${API}/${page.selected}/${path}`, payload);
    if (clear) $(clear).value = "";
    renderDetail(f);
    flash(T.saved);
    await load();
  } catch (err) {
    text($("detail-error"), err.message);
  }
}

async function admonishRated() {
  const f = page.items.find((x) => x.id === page.selected);
  const strings = document.getElementById("strings");
  const S = (name) => strings.getAttribute(`data-${name}`);
  const asked = f && f.staff_id ? askAdmonition(S) : null;
  if (!asked) return;
  try {
    await admonish(api, { staff_id: f.staff_id }, asked,
                   { evidence_kind: "rating", evidence_ref: `ticket:${f.ticket_id}` });
    text($("detail-error"), "");
    flash(fill(T.admonished, { name: f.staff_name || "" }));
  } catch (err) {
    text($("detail-error"), err.message);
  }
}

function wire() {
  $("admonish-submit").addEventListener("click", () => admonishRated());
  $("filter-state").addEventListener("change", () => load());
  $("filter-overdue").addEventListener("change", () => load());
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("assign-submit").addEventListener("click", () =>
    change("assign", { owner_id: Number($("assign-owner").value) }));
  $("action-submit").addEventListener("click", () =>
    change("actions", { text: $("action-text").value }, "action-text"));
  $("close-submit").addEventListener("click", () =>
    change("close", { result: $("close-result").value,
                      ...($("close-revisit").value ? { revisit: $("close-revisit").value } : {}) },
           "close-result"));
}

const reload = debounce(() => load().catch((err) => console.warn("reload failed", err)), 300);

async function start() {
  wire();
  page.owners = (await call("GET", `${API}/owners`)).owners;
  await load();
  connectLive({
    room: `hall:${ds.hall}`, lastSeq: page.lastSeq,
    onEvent(e) {
      if (typeof e.type === "string" && e.type.startsWith("followup.")) reload();
    },
    onSnapshot: () => reload(),
    onStatus(status) {
      const m = $("fu-message");
      if (status === "offline" || status === "reconnecting") {
        text(m, T.offline);
        m.hidden = false;
      } else if (status === "live" && m.textContent === T.offline) {
        m.hidden = true;
      }
    },
  });
}

start().catch((err) => {
  text($("detail-error"), err.message);
  console.error(err);
});
