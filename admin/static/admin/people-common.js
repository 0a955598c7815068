// Shared by the admin pages for staff, settings and the audit log: the JSON API with the
// staff session (+ X-CSRFToken on writes), translated strings from #strings, a status
// message, a confirm dialog, and dates in the hall's time zone.
import { Api, ApiError } from "/web/static/api.js";

export const $ = (id) => document.getElementById(id);
export const ds = document.body.dataset;
export const T = ($("strings") || document.body).dataset;
export const API = "/api/v1/admin";
export { ApiError };
const api = new Api({ base: API, locale: ds.locale });

export function call(method, path, payload) {
  return api.request(method, path, payload);
}

export const stamp = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN", {
  timeZone: ds.tz || "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

export function when(iso) {
  return iso ? stamp.format(new Date(iso)) : "";
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "class") node.className = v;
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function flash(words) {
  const m = $("ppl-message");
  if (!m) return;
  m.textContent = words;
  m.hidden = false;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { m.hidden = true; }, 2500);
}

// resolves true on "confirm", false on "cancel" or Esc
export function confirmDialog(words) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = words;
  return new Promise((resolve) => {
    const done = (answer) => {
      $("confirm-yes").onclick = null;
      $("confirm-no").onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
  });
}

// "{name} …" templates from the data attributes
export function fill(template, values) {
  return (template || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

const LIMIT = 200;

function clip(s) {
  return s.length > LIMIT ? `${s.slice(0, LIMIT - 1)}…` : s;
}

// a stored value as a person reads it: lists joined, tables as "key value" pairs
// a field's name and a coded value (kind, role) in words, from data-field-* / data-value-*
// (hall/domain/fields.py); unknown ones as they are
const strings = $("strings");
const CODED = new Set(["kind", "role", "action", "state"]);
export function fieldLabel(key) {
  return (strings && strings.getAttribute(`data-field-${key}`)) || key;
}

function valueLabel(key, value) {
  return (CODED.has(key) && strings && strings.getAttribute(`data-value-${value}`)) || value;
}

export function show(value, key = "") {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? T.yes || "✓" : T.no || "✗";
  if (Array.isArray(value)) return clip(value.map((v) => show(v)).join("、")) || "—";
  if (typeof value === "object") {
    return clip(Object.entries(value).map(([k, v]) => `${fieldLabel(k)} ${show(v, k)}`)
      .join(", ")) || "—";
  }
  return clip(String(valueLabel(key, value)));
}

// the keys whose values differ, with both sides
export function differences(before, after) {
  const b = before || {};
  const a = after || {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ key: k, before: b[k], after: a[k] }));
}

// <dl>: one line per changed key, "old → new"; a creation lists what it set (the id is
// shown beside the entry already)
export function diffList(before, after) {
  const list = el("dl", { class: "ppl-diff" });
  for (const d of differences(before, after)) {
    if (d.key === "id" || (!before && (d.after === null || d.after === undefined))) continue;
    const dd = el("dd");
    if (before) dd.append(el("del", {}, show(d.before, d.key)), " → ");
    dd.append(el("ins", {}, after ? show(d.after, d.key) : "—"));
    list.append(el("dt", {}, fieldLabel(d.key)), dd);
  }
  return list;
}
