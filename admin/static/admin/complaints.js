// 投诉建议 for supervisors: the list (overdue marked), the detail with its history, take it
// on, reply (属实 or not), close, a 效能告诫 on an upheld one (POST /api/v1/admonitions);
// and the staff entry of a complaint that came by phone, in the 意见簿 or as a 12345 work
// order. Reads and writes /api/v1/complaints with the staff
// session (+ X-CSRFToken on writes); reloads when a complaint.* event reaches the hall room.
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const API = "/api/v1/complaints";
const api = new Api({ locale: ds.locale, onUnauthorized: () => window.location.reload() });
const page = { items: [], selected: null, current: null };
// data-source-hotline-12345 is dataset.sourceHotline-12345 (a dash before a digit stays)
const dataKey = (s) => s.replace(/_/g, "-").replace(/-([a-z])/g, (m, c) => c.toUpperCase());
const word = (prefix, key) => T[dataKey(`${prefix}-${key}`)] || key;

const stamp = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN", {
  timeZone: ds.tz || "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", hour12: false,
});

function cell(row, value, cls) {
  const td = document.createElement("td");
  td.textContent = value ?? "";
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function windowText(c) {
  return c.counter_number != null ? fill(T.window, { counter: c.counter_number }) : "";
}

function renderList() {
  const tbody = $("complaints");
  tbody.replaceChildren();
  for (const c of page.items) {
    const tr = document.createElement("tr");
    tr.className = `complaint state-${c.state}${c.overdue ? " overdue" : ""}`
      + (page.selected === c.id ? " selected" : "");
    tr.id = `complaint-${c.id}`;
    tr.dataset.id = c.id;
    tr.dataset.number = c.number;
    tr.tabIndex = 0;
    cell(tr, c.number);
    cell(tr, word("source", c.source) + (c.work_order ? ` ${c.work_order}` : ""));
    cell(tr, word("category", c.category));
    cell(tr, windowText(c));
    cell(tr, c.staff_name || "");
    cell(tr, c.handler_name || T.nobody);
    const due = cell(tr, c.due_date, "due");
    if (c.overdue) {
      const tag = document.createElement("span");
      tag.className = "tag-overdue";
      tag.textContent = T.overdue;
      due.append(" ", tag);
    }
    cell(tr, word("state", c.state), "state");
    tr.addEventListener("click", () => select(c.id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") select(c.id); });
    tbody.append(tr);
  }
  $("complaints-empty").hidden = page.items.length > 0;
  text($("complaints-count"), String(page.items.length));
}

function yesNo(value, yes, no) {
  return value == null ? "" : value ? yes : no;
}

function renderDetail(c) {
  const box = $("complaint-detail");
  box.hidden = !c;
  page.current = c;
  if (!c) return;
  box.dataset.id = c.id;
  box.dataset.state = c.state;
  box.classList.toggle("overdue", c.overdue);
  text($("detail-title"), c.number);
  text($("detail-source"), word("source", c.source) + (c.work_order ? ` · ${c.work_order}` : ""));
  text($("detail-category"), word("category", c.category));
  text($("detail-target"), [c.ticket_number, c.case_number, windowText(c), c.staff_name,
                            c.department_name, c.service_name].filter(Boolean).join(" · "));
  text($("detail-contact"), c.anonymous ? T.anonymous : c.phone || "");
  text($("detail-text"), c.text);
  text($("detail-due"), c.due_date + (c.overdue ? ` (${T.overdue})` : ""));
  text($("detail-handler"), c.handler_name || T.nobody);
  text($("detail-state"), word("state", c.state));
  text($("detail-reply"), c.reply || "");
  text($("detail-satisfied"), yesNo(c.satisfied, T.satisfiedYes, T.satisfiedNo));
  text($("detail-upheld"), yesNo(c.upheld, T.upheldYes, T.upheldNo));
  const list = $("complaint-history");
  list.replaceChildren();
  for (const h of c.history) {
    const li = document.createElement("li");
    const when = h.at ? stamp.format(new Date(h.at)) : "";
    li.textContent = `${when} ${word("action", h.action)}${h.by_name ? ` · ${h.by_name}` : ""}`
      + (h.text && h.action !== "received" ? `: ${h.text}` : "");
    list.append(li);
  }
  const open = c.state === "received" || c.state === "handling";
  $("detail-forms").hidden = c.state === "closed";
  $("take-form").hidden = c.state !== "received";
  $("reply-form").hidden = !open;
  $("close-form").hidden = c.state !== "replied";
  // 效能告诫: an upheld complaint naming a staff member or a department can ground one
  const named = c.staff_id != null || c.department_id != null;
  $("admonish-form").hidden = !(c.upheld === true && named && !c.admonished);
  $("detail-admonished").hidden = !c.admonished;
  text($("detail-error"), "");
}

async function admonish() {
  const c = page.current;
  if (!c) return;
  try {
    await api.post("/api/v1/admonitions", {
      level: $("admonish-level").value, reason: $("admonish-reason").value,
      evidence_kind: "complaint", evidence_ref: c.number,
      ...(c.staff_id != null ? { staff_id: c.staff_id } : { department_id: c.department_id }),
    });
    $("admonish-reason").value = "";
    flash(T.saved);
    await select(c.id);
  } catch (err) {
    text($("detail-error"), err.message);
  }
}

async function load() {
  const params = new URLSearchParams({ state: $("filter-state").value });
  if ($("filter-overdue").checked) params.set("overdue", "true");
  page.items = (await api.get(`${API}?${params}`)).complaints;
  renderList();
  if (page.selected != null) {
    const c = page.items.find((x) => x.id === page.selected);
    if (c) renderDetail(c);
    else await select(page.selected);
  }
  document.body.dataset.loaded = String(Date.now());
}

async function select(id) {
  page.selected = id;
  try {
    renderDetail(await api.get(`${API}/${id}`));
  } catch (err) {
    renderDetail(null);
    text($("detail-error"), err.message);
  }
  for (const tr of $("complaints").children) {
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
    const c = await api.post(`${API}/${page.selected}/${path}`, payload);
    for (const id of clear) $(id).value = "";
    renderDetail(c);
    flash(T.saved);
    await load();
  } catch (err) {
    text($("detail-error"), err.message);
  }
}

function upheld(id) {
  const v = $(id).value;
  return v ? { upheld: v === "yes" } : {};
}

async function enter(ev) {
  ev.preventDefault();
  const f = $("entry-form").elements;
  const anonymous = f.anonymous.checked;
  const body = { source: f.source.value, category: f.category.value, text: f.text.value,
                 anonymous,
                 ...(f.work_order.value.trim() ? { work_order: f.work_order.value } : {}),
                 ...(f.phone.value.trim() && !anonymous ? { phone: f.phone.value } : {}),
                 ...(f.counter_id.value ? { counter_id: Number(f.counter_id.value) } : {}),
                 ...(f.service_id.value ? { service_id: Number(f.service_id.value) } : {}) };
  try {
    const made = await api.post(API, body);
    $("entry-form").reset();
    text($("entry-error"), "");
    flash(fill(T.entered, { number: made.number }));
    await load();
    if (made.id != null) await select(made.id);
  } catch (err) {
    text($("entry-error"), err.message);
  }
}

function wire() {
  $("filter-state").addEventListener("change", () => load());
  $("filter-overdue").addEventListener("change", () => load());
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("take-submit").addEventListener("click", () =>
    change("take", { note: $("take-note").value || null }, ["take-note"]));
  $("reply-submit").addEventListener("click", () =>
    change("reply", { text: $("reply-text").value, ...upheld("reply-upheld") },
           ["reply-text", "reply-upheld"]));
  $("close-submit").addEventListener("click", () =>
    change("close", { note: $("close-note").value || null }, ["close-note"]));
  $("admonish-submit").addEventListener("click", admonish);
  $("entry-form").addEventListener("submit", enter);
}

async function windows() {
  const select = $("entry-counter");
  for (const c of (await api.get("/api/v1/counters")).counters) {
    const o = document.createElement("option");
    o.value = c.id;
    o.textContent = fill(T.window, { counter: c.number });
    select.append(o);
  }
}

const reload = debounce(() => load().catch((err) => console.warn("reload failed", err)), 300);

async function start() {
  wire();
  await Promise.all([load(), windows()]);
  connectLive({
    room: `hall:${ds.hall}`, lastSeq: Number(ds.lastSeq) || 0,
    onEvent(e) {
      if (typeof e.type === "string" && e.type.startsWith("complaint.")) reload();
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
