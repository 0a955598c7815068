// Devices page: every device's health from GET /api/v1/devices, then live: a device.health
// event carries the device's whole view and replaces its row (hall-live.js gives them in
// order, from the seq the page was rendered at, and resyncs after a reconnect).
// Admins (body[data-manage]) also pair new devices — a device on /pair shows a code; the
// admin picks its request, types the code and approves or rejects it — and revoke a device
// (two clicks: the first arms the button for a few seconds).
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const strings = document.getElementById("strings");
const S = (name, values) => {
  const s = strings.getAttribute(`data-${name}`) ?? name;
  return values ? fill(s, values) : s;
};
const $ = (id) => document.getElementById(id);
const page = { devices: new Map(), counters: new Map(), loads: 0, events: 0, armed: null,
               drafts: new Map(), tests: new Map() };
// kinds the server reaches by an address (hall/services/devices/transport.py PROTOCOL)
const ADDRESSED = { kiosk: "escpos+tcp://HOST:9100", printer: "escpos+tcp://HOST:9100",
                    agent: "escpos+usb://VID:PID", sign: "led+tcp://HOST:PORT?address=N",
                    keypad: "keypad+serial:///dev/ttyS1", pad: "pad+serial:///dev/ttyS2" };
window.hallDevices = page;
const manage = ds.manage === "1";
const ARMED_MS = 5000;
const PAIRINGS_EVERY_MS = 4000;
const pairing = { items: [], selected: null, filled: null };
page.pairing = pairing;

// signed out elsewhere: reloading shows the sign-in form
const api = new Api({ locale: ds.locale, onUnauthorized: () => window.location.reload() });

function getJSON(url) {
  return api.get(url);
}

function send(url, payload) {
  return api.post(url, payload);
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
  if (manage) {
    const actions = cell(revokeButton(d), "actions");
    if (d.kind in ADDRESSED) actions.prepend(addressEditor(d), testButton(d), testResult(d));
  }
  return tr;
}

// --- addresses (admins): where the server reaches a printer, a sign bus, a keypad bus ---

function addressEditor(d) {
  const form = document.createElement("form");
  form.className = "device-url";
  const input = document.createElement("input");
  input.id = `url-${d.id}`;
  input.size = 28;
  input.placeholder = ADDRESSED[d.kind];
  input.value = page.drafts.has(d.id) ? page.drafts.get(d.id) : d.url || "";
  input.setAttribute("aria-label", S("address"));
  input.addEventListener("input", () => page.drafts.set(d.id, input.value));
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "secondary";
  save.textContent = S("save-address");
  form.append(input, " ", save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const saved = await api.request("PUT", `/api/v1/devices/${d.id}/url`,
                                      { url: input.value || null });
      page.drafts.delete(d.id);
      page.devices.set(d.id, { ...page.devices.get(d.id), url: saved.url });
      text($("devices-error"), "");
      text($("pair-done"), S("address-saved", { name: d.name || `#${d.id}` }));
      render();
    } catch (err) {
      save.disabled = false;
      input.setAttribute("aria-invalid", "true");
      text($("devices-error"), err.message);
    }
  });
  return form;
}

// --- the test button (admins): a test slip, a text on a sign, a keypad's beep ----------
// POST /api/v1/devices/<id>/test answers ok / failed (the driver's reason) at once for a
// printer the server drives; a device an agent drives answers later, as its health's
// ``test`` in a device.health event, which re-renders the row.

function testButton(d) {
  const b = document.createElement("button");
  b.type = "button";
  b.id = `test-${d.id}`;
  b.className = "test secondary";
  b.textContent = S("test");
  b.addEventListener("click", async () => {
    b.disabled = true;
    page.tests.set(d.id, { state: "running", message: S("testing") });
    paintTest(d.id);
    try {
      const r = await send(`/api/v1/devices/${d.id}/test`);
      page.tests.set(d.id, { state: r.state, message: r.message });
      if (r.health) page.devices.set(d.id, { ...page.devices.get(d.id), health: r.health });
    } catch (err) {
      page.tests.set(d.id, { state: "failed", message: err.message });
    }
    b.disabled = false;
    paintTest(d.id);
  });
  return b;
}

function testResult(d) {
  const span = document.createElement("span");
  span.id = `test-result-${d.id}`;
  span.setAttribute("role", "status");
  // what the button was answered, until a newer report (an agent's answer) replaces it
  const reported = d.health && d.health.test;
  const shown = page.tests.get(d.id) || (reported && {
    state: reported.ok ? "ok" : "failed",
    message: reported.ok ? S("test-ok") : reported.error || S("test-failed") });
  span.className = `test-result${shown ? ` test-${shown.state}` : ""}`;
  span.textContent = shown ? shown.message : "";
  return span;
}

function paintTest(id) {
  const old = $(`test-result-${id}`);
  if (old) old.replaceWith(testResult(page.devices.get(id)));
}

// --- revoking (admins) ------------------------------------------------------------------

function armed(d) {
  return page.armed && page.armed.id === d.id && Date.now() < page.armed.until;
}

function revokeButton(d) {
  const b = document.createElement("button");
  b.type = "button";
  b.id = `revoke-${d.id}`;
  b.className = `revoke${armed(d) ? " armed" : " secondary"}`;
  b.textContent = armed(d) ? S("revoke-confirm") : S("revoke");
  b.addEventListener("click", () => revoke(d, b));
  return b;
}

async function revoke(d, button) {
  if (!armed(d)) {
    page.armed = { id: d.id, until: Date.now() + ARMED_MS };
    render();
    setTimeout(() => {
      if (page.armed && page.armed.id === d.id) {
        page.armed = null;
        render();
      }
    }, ARMED_MS);
    return;
  }
  page.armed = null;
  button.disabled = true;
  try {
    await send(`/api/v1/devices/${d.id}/revoke`);
    page.devices.delete(d.id);
    render();
    text($("pair-done"), S("revoked", { name: d.name || `#${d.id}` }));
  } catch (err) {
    button.disabled = false;
    text($("devices-error"), err.message);
  }
}

// --- pairing requests (admins) ----------------------------------------------------------

async function loadPairings() {
  try {
    pairing.items = (await getJSON("/api/v1/pairings")).pairings;
    text($("pair-error"), "");
  } catch (err) {
    text($("pair-error"), err.message);
    return;
  }
  drawPairings();
}

function requestLabel(p) {
  const info = p.info || {};
  return [p.name, info.ip, info.screen, S("asked", { ago: ago(p.created_at) })]
    .filter(Boolean).join(" · ");
}

function drawPairings() {
  const ids = pairing.items.map((p) => p.id);
  if (!ids.includes(pairing.selected)) pairing.selected = ids.length === 1 ? ids[0] : null;
  const items = pairing.items.map((p) => {
    const li = document.createElement("li");
    li.id = `pairing-${p.id}`;
    li.className = `pairing-item${p.id === pairing.selected ? " selected" : ""}`;
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    li.setAttribute("aria-pressed", p.id === pairing.selected ? "true" : "false");
    const kind = document.createElement("strong");
    kind.textContent = S(`kind-${p.kind}`);
    const what = document.createElement("span");
    what.textContent = requestLabel(p);
    li.append(kind, " ", what);
    li.title = (p.info && p.info.browser) || "";
    li.addEventListener("click", () => select(p.id));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") select(p.id); });
    return li;
  });
  $("pairings").replaceChildren(...items);
  $("pairings-empty").hidden = items.length > 0;
  $("pair-form").hidden = pairing.selected == null;
  if (pairing.selected == null && items.length) text($("pair-done"), S("choose"));
  fillForm();
}

function select(id) {
  pairing.selected = id;
  drawPairings();
  $("pair-code").focus();
}

function fillForm() {
  const p = pairing.items.find((x) => x.id === pairing.selected);
  if (!p || pairing.filled === p.id) return;
  pairing.filled = p.id;
  $("pair-code").value = "";
  $("pair-kind").value = p.kind;
  $("pair-name").value = p.name || "";
  const windows = [...page.counters.values()].sort((a, b) => a.number - b.number);
  const none = new Option(S("no-window"), "");
  $("pair-counter").replaceChildren(none, ...windows.map((c) =>
    new Option(S("window", { number: c.number }), String(c.number))));
  text($("pair-error"), "");
}

async function decide(action) {
  const id = pairing.selected;
  if (id == null) return;
  const name = $("pair-name").value.trim();
  const counter = $("pair-counter").value;
  const body = action === "approve" ? {
    code: $("pair-code").value.trim(), kind: $("pair-kind").value, name: name || null,
    counter: counter ? Number(counter) : null,
  } : undefined;
  try {
    await send(`/api/v1/pairings/${id}/${action}`, body);
  } catch (err) {
    text($("pair-error"), err.message);
    if (err.field === "code") $("pair-code").select();
    return;
  }
  text($("pair-error"), "");
  text($("pair-done"), action === "approve"
    ? S("approved", { name: name || S(`kind-${$("pair-kind").value}`) }) : S("rejected"));
  pairing.selected = null;
  pairing.filled = null;
  await loadPairings();
  if (action === "approve") load();
}

function wirePairing() {
  $("pair-form").addEventListener("submit", (e) => {
    e.preventDefault();
    decide("approve");
  });
  $("pair-reject").addEventListener("click", () => decide("reject"));
  loadPairings();
  setInterval(loadPairings, PAIRINGS_EVERY_MS);
}

function render(changed) {
  const order = { agent: 0, sign: 1, kiosk: 2, keypad: 3, pad: 4, printer: 5, screen: 6 };
  const devices = [...page.devices.values()].sort((a, b) =>
    (order[a.kind] ?? 9) - (order[b.kind] ?? 9) || a.id - b.id);
  const rows = devices.map((d) => row(d, d.id === changed));
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = manage ? 10 : 9;
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
    const test = e.device.health && e.device.health.test;
    if (test && (known.health || {}).test?.at !== test.at) page.tests.delete(e.device.id);
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
load().then(() => {
  if (manage) wirePairing();
}).then(() => connectLive({
  room: `hall:${ds.hall}`,
  lastSeq: Number(ds.lastSeq) || 0,
  onEvent,
  onSnapshot: () => reload(),
}));
