// /admin/settings: the hall's fields and settings (PUT /settings with the whole [hall]
// table, so keys this form does not show survive), the notices for the screens, and the
// layout file: export link, import with a preview first, then apply.
import {
  $, ApiError, T, call, diffList, el, fill, flash,
} from "./people-common.js";

const page = { settings: null, notices: [], toml: null };
window.hallSettings = page;
const form = $("hall-form");

function fields() {
  return [...form.querySelectorAll("input[name], textarea[name]")];
}

// a rota shift as one line of its textarea ("am 上午 09:00-12:00") and back
const shiftLine = (x) => `${x.code} ${x.name} ${x.start}-${x.end}`;
const hhmm = (t) => t.padStart(5, "0");

function parseShift(line) {
  const m = line.match(/^(\S+)\s+(.+?)\s+(\d{1,2}:\d\d)\s*[-–~至]\s*(\d{1,2}:\d\d)$/);
  // a line that is no shift goes as it is: the server refuses it, naming the field
  return m ? { code: m[1], name: m[2], start: hhmm(m[3]), end: hhmm(m[4]) }
    : { code: line, name: line, start: "", end: "" };
}

function fillForm(s) {
  for (const input of fields()) {
    const name = input.name;
    if (input.dataset.alert) input.value = s.alerts?.[input.dataset.alert] ?? "";
    else if (input.dataset.kind === "shifts") input.value = (s.shifts || []).map(shiftLine).join("\n");
    else if (input.dataset.kind === "lines") input.value = (s[name] || []).join("\n");
    else input.value = s[name] ?? "";
    input.removeAttribute("aria-invalid");
  }
}

function collect() {
  const spec = structuredClone(page.settings);
  const alerts = { ...(spec.alerts || {}) };
  for (const input of fields()) {
    const raw = input.value.trim();
    if (input.name === "code") continue;
    if (input.dataset.alert) {
      if (raw === "") delete alerts[input.dataset.alert];
      else alerts[input.dataset.alert] = Number(raw);
    } else if (input.dataset.kind === "lines" || input.dataset.kind === "shifts") {
      const lines = raw.split("\n").map((l) => l.trim()).filter(Boolean);
      const values = input.dataset.kind === "shifts" ? lines.map(parseShift) : lines;
      spec[input.name] = values.length ? values : null;
    } else if (input.type === "number") {
      spec[input.name] = raw === "" ? null : Number(raw);
    } else {
      spec[input.name] = raw;
    }
  }
  spec.alerts = Object.keys(alerts).length ? alerts : null;
  return spec;
}

function markField(err, where) {
  $(where).textContent = err.message;
  if (!(err instanceof ApiError)) console.error(err);
  if (!err.field) return;
  const parts = err.field.split(".");
  const target = form.querySelector(`[name="${parts.slice(0, 2).join(".")}"]`)
    || form.querySelector(`[name="${parts[0]}"]`);
  if (target) {
    target.setAttribute("aria-invalid", "true");
    target.focus();
  }
}

async function saveSettings(event) {
  event.preventDefault();
  $("hall-error").textContent = "";
  for (const input of fields()) input.removeAttribute("aria-invalid");
  try {
    page.settings = await call("PUT", "/settings", collect());
    fillForm(page.settings);
    flash(T.saved);
  } catch (err) {
    markField(err, "hall-error");
  }
}

function renderNotices() {
  const list = $("notices");
  list.replaceChildren(...page.notices.map((text, i) => el("li", { class: "ppl-notice" },
    el("textarea", {
      rows: 2, maxLength: 500, value: text, ariaLabel: fill(T.notice, { n: i + 1 }),
      oninput: (e) => { page.notices[i] = e.target.value; },
    }),
    i > 0 ? el("button", {
      type: "button", class: "small secondary", textContent: T.up,
      onclick: () => { page.notices.splice(i - 1, 0, ...page.notices.splice(i, 1)); renderNotices(); },
    }) : null,
    el("button", {
      type: "button", class: "small danger", textContent: T.remove,
      onclick: () => { page.notices.splice(i, 1); renderNotices(); },
    }))));
}

async function saveNotices() {
  $("notices-error").textContent = "";
  const notices = page.notices.map((t) => t.trim()).filter(Boolean).map((text) => ({ text }));
  try {
    page.notices = (await call("PUT", "/notices", { notices })).notices.map((n) => n.text);
    renderNotices();
    flash(T.saved);
  } catch (err) {
    $("notices-error").textContent = err.message;
  }
}

function section(name, s) {
  const box = el("section", { class: "ppl-section", dataset: { section: name } },
    el("h3", {}, T[`section${name[0].toUpperCase()}${name.slice(1)}`] || name));
  const group = (label, keys, cls) => keys.length && box.append(el("p", { class: cls },
    el("strong", {}, `${label}: `), keys.join("、")));
  group(T.added, s.added, "added");
  if (s.changed.length) {
    box.append(el("p", { class: "changed" }, el("strong", {}, `${T.changed}:`)));
    for (const c of s.changed) {
      box.append(el("div", { class: "ppl-change" }, el("h4", {}, c.key),
        diffList(c.before, c.after)));
    }
  }
  group(T.deactivated, s.deactivated, "deactivated");
  group(T.kept, s.kept, "kept");
  box.append(el("p", { class: "unchanged" }, fill(T.unchanged, { n: s.unchanged })));
  return box;
}

function renderImport(result) {
  const box = $("layout-result");
  const sections = Object.entries(result.changes);
  const changes = sections.some(([, s]) => s.added.length || s.changed.length
    || s.deactivated.length);
  box.replaceChildren(...(changes ? [] : [el("p", { class: "nothing" }, T.nothing)]),
    ...sections.map(([name, s]) => section(name, s)));
  box.dataset.dryRun = String(result.dry_run);
  box.hidden = false;
  $("layout-apply").hidden = !(result.dry_run && changes);
}

async function importLayout(dryRun) {
  $("layout-error").textContent = "";
  const file = $("layout-file").files[0];
  if (!file && !page.toml) {
    $("layout-error").textContent = T.noFile;
    return;
  }
  if (dryRun && file) page.toml = await file.text();
  try {
    const result = await call("POST", "/layout", { toml: page.toml, dry_run: dryRun });
    renderImport(result);
    if (!dryRun) {
      page.toml = null;
      $("layout-file").value = "";
      flash(T.applied);
      await load();
    }
  } catch (err) {
    $("layout-error").textContent = err.message;
    $("layout-apply").hidden = true;
  }
}

async function load() {
  const [settings, notices] = await Promise.all([call("GET", "/settings"),
    call("GET", "/notices")]);
  page.settings = settings;
  page.notices = notices.notices.map((n) => n.text);
  fillForm(settings);
  renderNotices();
  document.body.dataset.loaded = String(Date.now());
}

function wire() {
  form.addEventListener("submit", saveSettings);
  $("notice-add").addEventListener("click", () => { page.notices.push(""); renderNotices(); });
  $("notices-save").addEventListener("click", saveNotices);
  $("layout-preview").addEventListener("click", () => importLayout(true));
  $("layout-apply").addEventListener("click", () => importLayout(false));
  $("layout-file").addEventListener("change", () => {
    page.toml = null;
    $("layout-apply").hidden = true;
    $("layout-result").hidden = true;
  });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  $("timezones").replaceChildren(...zones.map((z) => el("option", { value: z })));
}

wire();
load().catch((err) => { $("hall-error").textContent = err.message; });
