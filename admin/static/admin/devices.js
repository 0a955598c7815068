// Devices page: every device's health from GET /api/v1/devices, then live: a device.health
// event carries the device's whole view and replaces its row (hall-live.js gives them in
// order, from the seq the page was rendered at, and resyncs after a reconnect).
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";

const ds = document.body.dataset;
const strings = document.getElementById("strings");
const S = (name, values) => {
  const s = strings.getAttribute(`data-${name}`) ?? name;
  return values ? fill(s, values) : s;
};
const $ = (id) => document.getElementById(id);
const page = { devices: new Map(), counters: new Map(), loads: 0, events: 0 };
window.hallDevices = page;

async function getJSON(url) {
  const sep = url.includes("?") ? "&" : "?";
  const r = await fetch(`${url}${sep}lang=${encodeURIComponent(ds.locale)}`, {
    headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
  });
  const reply = await r.json().catch(() => null);
  if (r.status === 401) window.location.reload();
  if (!r.ok) throw new Error((reply && reply.error && reply.error.message) || `HTTP ${r.status}`);
  return reply;
}

async function load() {
  try {
    const [devices, counters] = await Promise.all([getJSON("/api/v1/devices"),
                                                    getJSON("/api/v1/counters")]);
    page.counters = new Map(counters.counters.map((c) => [c.id, c]));
    page.devices = new Map(devices.devices.map((d) => [d.id, d]));
    page.loads += 1;
    text($("devices-error"), "");
    render();
  } catch (err) {
    text($("devices-error"), err.message);
  }
}

function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? S("seconds-ago", { n: s }) : S("minutes-ago", { n: Math.round(s / 60) });
}

function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(ds.lang, { timeZone: ds.tz, hour12: false });
}

function state(d) {
  if (!d.last_seen) return "never";
  return d.health && d.health.online === false ? "offline" : "online";
}

function badge(cls, label) {
  const b = document.createElement("span");
  b.className = `badge ${cls}`;
  b.textContent = label;
  return b;
}

function details(h) {
  const parts = [];
  if (Array.isArray(h.signs) && h.signs.length) {
    const ok = h.signs.filter((s) => s.ok !== false).length;
    parts.push(S("signs", { ok, total: h.signs.length }));
  }
  if (typeof h.bridges === "number") parts.push(S("bridges", { running: h.running ?? 0,
                                                               total: h.bridges }));
  if (h.host) parts.push(h.host);
  if (h.silent_s) parts.push(S("silent", { n: h.silent_s }));
  if (h.buffered) parts.push(S("buffered", { n: h.buffered }));
  return parts.join(" · ");
}

function row(d, flash) {
  const h = d.health || {};
  const tr = document.createElement("tr");
  tr.id = `device-${d.id}`;
  tr.className = state(d) + (flash ? " flash" : "");
  tr.dataset.state = state(d);
  const cell = (value, cls) => {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (value instanceof Node) td.append(value);
    else td.textContent = value ?? "";
    tr.append(td);
    return td;
  };
  cell(S(`kind-${d.kind}`), "kind");
  cell(d.name || `#${d.id}`, "name");
  const counter = page.counters.get(d.counter_id);
  cell(counter ? S("window", { number: counter.number }) : "", "counter");
  const seen = cell(ago(d.last_seen), "last-seen");
  seen.title = clock(d.last_seen);
  seen.dataset.at = d.last_seen || "";
  cell(badge(`badge-${state(d)}`, S(state(d))), "state");
  const paper = cell("", "paper");
  if (h.paper) paper.append(badge(`badge-paper-${h.paper}`, S(`paper-${h.paper}`)));
  if (h.cover_open) paper.append(" ", badge("badge-cover", S("cover-open")));
  cell(h.errors ?? 0, "num errors");
  cell(h.error || "", "last-error");
  cell(details(h), "details");
  return tr;
}

function render(changed) {
  const order = { agent: 0, sign: 1, kiosk: 2, keypad: 3, pad: 4, screen: 5 };
  const devices = [...page.devices.values()].sort((a, b) =>
    (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || a.id - b.id);
  const rows = devices.map((d) => row(d, d.id === changed));
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 9;
    td.textContent = S("empty");
    tr.append(td);
    rows.push(tr);
  }
  $("devices").replaceChildren(...rows);
  const online = devices.filter((d) => state(d) === "online").length;
  text($("devices-count"), S("count", { online, total: devices.length }));
}

function onEvent(e) {
  if (e.type === "device.health" && e.device) {
    const known = page.devices.get(e.device.id) || {};
    page.devices.set(e.device.id, { ...known, ...e.device });
    page.events += 1;
    render(e.device.id);
  } else if (e.type === "device.revoked") {
    page.devices.delete(e.device_id);
    render();
  }
}

// "12 s ago" keeps counting between reports; a heartbeat that changes nothing emits no
// event, so the list is re-read now and then to move last seen along
setInterval(() => {
  for (const td of document.querySelectorAll("td.last-seen")) text(td, ago(td.dataset.at));
}, 1000);
setInterval(() => load(), 15000);

const reload = debounce(load, 300);
load().then(() => connectLive({
  room: `hall:${ds.hall}`,
  lastSeq: Number(ds.lastSeq) || 0,
  onEvent,
  onSnapshot: () => reload(),
}));
