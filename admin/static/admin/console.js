// 配置管理: departments, services (with their guides) and counters (with weighted services).
// Reads and writes /api/v1/config with the staff session (+ X-CSRFToken on writes); every
// refusal is shown next to the field the API names (console-forms.js).
import { fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";
import { clearErrors, control, read, setValue, showErrors } from "./console-forms.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const API = "/api/v1/config";
const page = { departments: [], services: [], counters: [], editing: null, opener: "" };
window.hallConsole = page;

const api = new Api({ locale: ds.locale });
const call = (method, url, payload) => api.request(method, url, payload);

function flash(words, bad = false) {
  const m = $("cf-message");
  m.classList.toggle("bad", bad);
  m.setAttribute("role", bad ? "alert" : "status");
  text(m, words);
  m.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { m.hidden = true; }, bad ? 6000 : 2500);
}

function cell(row, value, cls) {
  const td = document.createElement("td");
  if (value instanceof Node) td.append(value);
  else td.textContent = value ?? "";
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function button(label, onClick, id, cls = "secondary") {
  const b = document.createElement("button");
  b.type = "button";
  b.id = id;
  b.className = cls;
  b.textContent = label;
  b.addEventListener("click", () => onClick(b));
  return b;
}

function actions(...buttons) {
  const span = document.createElement("span");
  span.className = "cf-actions";
  span.append(...buttons);
  return span;
}

function badge(active) {
  const b = document.createElement("span");
  b.className = `badge ${active ? "badge-open" : "badge-closed"}`;
  b.textContent = active ? T.active : T.inactive;
  return b;
}

// --- tabs (arrow keys move between them, the hash keeps the one shown) --------------------

const TABS = ["departments", "services", "counters"];

function showTab(name, focus = false) {
  for (const key of TABS) {
    const tab = $(`tab-${key}`);
    const on = key === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${key}`).hidden = !on;
    if (on && focus) tab.focus();
  }
  history.replaceState(null, "", `#${name}`);
}

function wireTabs() {
  for (const key of TABS) {
    const tab = $(`tab-${key}`);
    tab.addEventListener("click", () => showTab(key));
    tab.addEventListener("keydown", (e) => {
      const i = TABS.indexOf(key);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      showTab(TABS[(to + TABS.length) % TABS.length], true);
    });
  }
  const wanted = location.hash.slice(1);
  showTab(TABS.includes(wanted) ? wanted : "services");
}

// --- editors: one open at a time per panel; Escape closes and gives focus back ------------

// Focus returns to the button that opened the editor, found again by id after the lists
// are drawn anew.
function returnFocus() {
  const back = page.opener && $(page.opener);
  if (back) back.focus();
}

function openEditor(form, title, editing, focusName) {
  page.editing = editing;
  page.opener = document.activeElement ? document.activeElement.id : "";
  clearErrors(form);
  text($(`${form.id.replace("-form", "")}-title`), title);
  form.hidden = false;
  control(form, focusName).focus();
}

function closeEditor(form) {
  form.hidden = true;
  page.editing = null;
  returnFocus();
}

async function save(form, request) {
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    await request();
    form.hidden = true;
    page.editing = null;
    flash(T.saved);
    await loadAll();
    returnFocus();
  } catch (err) {
    showErrors(form, err);
  } finally {
    submit.disabled = false;
  }
}

async function act(request, done = T.saved) {
  const from = document.activeElement ? document.activeElement.id : "";
  try {
    await request();
    flash(done);
    await loadAll();
    if (from && $(from)) $(from).focus();
  } catch (err) {
    flash(err.message, true);
  }
}

// --- departments --------------------------------------------------------------------------

const deptForm = $("department-form");

function renderDepartments() {
  const tbody = $("departments");
  tbody.replaceChildren();
  for (const d of page.departments) {
    const tr = document.createElement("tr");
    tr.id = `department-row-${d.code}`;
    cell(tr, d.code, "code");
    cell(tr, d.name, "name");
    cell(tr, d.name_en);
    cell(tr, String(d.services), "num services");
    cell(tr, actions(
      button(T.edit, () => openDepartment(d), `edit-department-${d.code}`),
      button(T.delete, () => act(() => call("DELETE", `${API}/departments/${d.code}`),
                                 T.deleted), `delete-department-${d.code}`)));
    tbody.append(tr);
  }
  const select = control($("service-form"), "department");
  const keep = select.value;
  select.replaceChildren(...page.departments.map((d) => new Option(`${d.name} (${d.code})`,
                                                                    d.code)));
  select.value = keep;
}

function openDepartment(d) {
  for (const name of ["code", "name", "name_en"]) setValue(deptForm, name, d ? d[name] : "");
  control(deptForm, "code").readOnly = Boolean(d);
  openEditor(deptForm, d ? fill(T.editDepartment, { code: d.code }) : T.newDepartment,
             d ? d.code : null, d ? "name" : "code");
}

function departmentBody() {
  return { code: read.text(deptForm, "code"), name: read.text(deptForm, "name"),
           name_en: read.text(deptForm, "name_en") };
}

// --- services -----------------------------------------------------------------------------

const svcForm = $("service-form");
const BOOKING = ["slot_minutes", "capacity", "days_ahead"];
const TEXTS = ["code", "department", "name", "name_en", "prefix", "kind"];
const NUMBERS = ["legal_days", "promised_days", "fast_track_days", "warning_days",
                 "expected_visit_minutes",
                 "time_limit_minutes", "warning_minutes", "daily_quota",
                 "per_person_daily_limit"];
const GUIDE_LISTS = ["materials", "steps"];
// affair_code: the 实施清单 code the 好差评 records carry (affairCode); empty: the service's code
const GUIDE_TEXTS = ["basis", "fee", "notes", "affair_code"];
// 多窗联办: the codes of the services a ticket goes through, one per line (none: a plain service)
const CHAIN = "chain";

function renderServices() {
  const tbody = $("services");
  tbody.replaceChildren();
  const deptName = Object.fromEntries(page.departments.map((d) => [d.code, d.name]));
  for (const s of page.services) {
    const tr = document.createElement("tr");
    tr.id = `service-row-${s.code}`;
    tr.classList.toggle("inactive", !s.active);
    cell(tr, s.code, "code");
    cell(tr, s.name_en ? `${s.name} · ${s.name_en}` : s.name, "name");
    cell(tr, deptName[s.department] || s.department);
    cell(tr, s.prefix, "prefix");
    cell(tr, s.kind === "promised"
      ? `${T.promised} · ${fill(T.days, { days: s.promised_days })}` : T.instant, "kind");
    cell(tr, badge(s.active), "state");
    const toggle = s.active ? "deactivate" : "activate";
    cell(tr, actions(
      button(T.edit, () => openService(s), `edit-service-${s.code}`),
      button(s.active ? T.deactivate : T.activate,
             () => act(() => call("POST", `${API}/services/${s.code}/${toggle}`)),
             `toggle-service-${s.code}`)));
    tbody.append(tr);
  }
}

function syncBooking() {
  const on = control(svcForm, "booking").checked;
  for (const key of BOOKING) control(svcForm, `booking.${key}`).disabled = !on;
}

function openService(s) {
  const blank = { kind: "instant", legal_days: 0, promised_days: 0, active: true, hours: [],
                  department: page.departments[0] && page.departments[0].code };
  const v = s || blank;
  for (const name of [...TEXTS, ...NUMBERS, ...GUIDE_LISTS, ...GUIDE_TEXTS, CHAIN, "hours",
                      "active"]) {
    setValue(svcForm, name, v[name]);
  }
  setValue(svcForm, "booking", Boolean(v.booking));
  for (const key of BOOKING) setValue(svcForm, `booking.${key}`, v.booking && v.booking[key]);
  syncBooking();
  control(svcForm, "code").readOnly = Boolean(s);
  openEditor(svcForm, s ? fill(T.editService, { code: s.code }) : T.newService,
             s ? s.code : null, s ? "name" : "code");
}

function serviceBody() {
  const body = {};
  for (const name of TEXTS) body[name] = read.text(svcForm, name);
  for (const name of NUMBERS) body[name] = read.int(svcForm, name);
  body.legal_days = body.legal_days ?? 0;
  body.promised_days = body.promised_days ?? 0;
  body.warning_days = body.warning_days ?? 1; // a case's 警戒时限: kept across an edit
  body.hours = read.lines(svcForm, "hours");
  body.booking = read.checked(svcForm, "booking")
    ? Object.fromEntries(BOOKING.map((k) => [k, read.int(svcForm, `booking.${k}`)])) : null;
  for (const name of [...GUIDE_LISTS, CHAIN]) {
    const items = read.lines(svcForm, name);
    body[name] = items.length ? items : null;
  }
  for (const name of GUIDE_TEXTS) body[name] = read.optionalText(svcForm, name);
  body.active = read.checked(svcForm, "active");
  return body;
}

// --- counters -----------------------------------------------------------------------------

const ctrForm = $("counter-form");

function renderCounters() {
  const tbody = $("counters");
  tbody.replaceChildren();
  const svcName = Object.fromEntries(page.services.map((s) => [s.code, s.name]));
  for (const c of page.counters) {
    const tr = document.createElement("tr");
    tr.id = `counter-row-${c.number}`;
    tr.classList.toggle("inactive", !c.active);
    cell(tr, String(c.number), "num number");
    cell(tr, c.name, "name");
    cell(tr, c.led_address ?? T.none, "num");
    cell(tr, c.services.map((s) => `${svcName[s.service] || s.service} ×${s.weight}`)
      .join("、") || T.none, "services");
    const state = document.createElement("span");
    state.className = `badge badge-${c.state}`;
    state.textContent = T[`state${c.state[0].toUpperCase()}${c.state.slice(1)}`] || c.state;
    const states = document.createElement("span");
    states.append(state, " ", badge(c.active));
    cell(tr, states, "state");
    const toggle = c.active ? "deactivate" : "activate";
    cell(tr, actions(
      button(T.edit, () => openCounter(c), `edit-counter-${c.number}`),
      button(c.active ? T.deactivate : T.activate,
             () => act(() => call("POST", `${API}/counters/${c.number}/${toggle}`)),
             `toggle-counter-${c.number}`)));
    tbody.append(tr);
  }
}

// The service picker: one row per service — "serves" and its weight.
function pickerRow(s, weight) {
  const tr = document.createElement("tr");
  tr.dataset.service = s.code;
  const serves = document.createElement("input");
  serves.type = "checkbox";
  serves.id = `counter-serves-${s.code}`;
  serves.checked = weight !== undefined;
  const label = document.createElement("label");
  label.htmlFor = serves.id;
  label.textContent = `${s.name} (${s.code})`;
  if (!s.active) label.append(" ", badge(false));
  const input = document.createElement("input");
  Object.assign(input, { type: "number", min: "1", max: "100", id: `counter-weight-${s.code}`,
                         className: "cf-weight", value: String(weight ?? 1),
                         disabled: !serves.checked });
  input.setAttribute("aria-label", fill(T.weightOf, { service: s.name }));
  serves.addEventListener("change", () => { input.disabled = !serves.checked; });
  const error = document.createElement("p");
  error.className = "cf-error";
  cell(tr, serves);
  cell(tr, label);
  cell(tr, input, "cf-weight-cell").append(error);
  return tr;
}

function renderPicker(chosen) {
  const weights = Object.fromEntries(chosen.map((s) => [s.service, s.weight]));
  $("counter-services").replaceChildren(...page.services.map((s) => pickerRow(s, weights[s.code])));
}

function openCounter(c) {
  const v = c || { number: (Math.max(0, ...page.counters.map((x) => x.number)) + 1),
                   name: "", led_address: null, active: true, services: [] };
  for (const name of ["number", "name", "led_address", "active"]) setValue(ctrForm, name, v[name]);
  renderPicker(v.services);
  control(ctrForm, "number").readOnly = Boolean(c);
  openEditor(ctrForm, c ? fill(T.editCounter, { counter: c.number }) : T.newCounter,
             c ? c.number : null, c ? "name" : "number");
}

function counterBody() {
  const services = [];
  for (const tr of $("counter-services").children) {
    const weightCell = tr.querySelector(".cf-weight-cell");
    delete tr.dataset.field;
    delete weightCell.dataset.field;
    if (!tr.querySelector('input[type="checkbox"]').checked) continue;
    // where the API's refusal of this entry ("services.2.weight") will be shown
    tr.dataset.field = `services.${services.length}`;
    weightCell.dataset.field = `services.${services.length}.weight`;
    const raw = tr.querySelector(".cf-weight").value.trim();
    services.push({ service: tr.dataset.service, weight: raw === "" ? null : Number(raw) });
  }
  return { number: read.int(ctrForm, "number"), name: read.text(ctrForm, "name"),
           led_address: read.int(ctrForm, "led_address"),
           active: read.checked(ctrForm, "active"), services };
}

// --- loading and wiring -------------------------------------------------------------------

async function loadAll() {
  const [d, s, c] = await Promise.all([call("GET", `${API}/departments`),
                                       call("GET", `${API}/services`),
                                       call("GET", `${API}/counters`)]);
  Object.assign(page, { departments: d.departments, services: s.services,
                        counters: c.counters });
  renderDepartments();
  renderServices();
  renderCounters();
  document.body.dataset.loaded = String(Date.now());
}

function wireForm(form, body, url) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = page.editing;
    save(form, () => (key == null ? call("POST", url(), body())
                                  : call("PUT", `${url()}/${key}`, body())));
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeEditor(form);
  });
}

function wire() {
  wireTabs();
  wireForm(deptForm, departmentBody, () => `${API}/departments`);
  wireForm(svcForm, serviceBody, () => `${API}/services`);
  wireForm(ctrForm, counterBody, () => `${API}/counters`);
  for (const b of document.querySelectorAll("[data-close]")) {
    b.addEventListener("click", () => closeEditor($(b.dataset.close)));
  }
  control(svcForm, "booking").addEventListener("change", syncBooking);
  $("department-new").addEventListener("click", () => openDepartment(null));
  $("service-new").addEventListener("click", () => openService(null));
  $("counter-new").addEventListener("click", () => openCounter(null));
}

wire();
loadAll().catch((err) => flash(err.message, true));
