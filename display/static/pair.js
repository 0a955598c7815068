// Device side of pairing (/pair?kind=…): ask for a code, show it large, ask /claim every few
// seconds; once an admin has approved it, keep the token under the key this kind of device's
// page reads it from and open that page. The request survives a reload (its id and secret
// wait in localStorage until it is decided or runs out): a device that restarts keeps
// showing the same code. Every sentence comes from #strings or the server (translated).

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const API = "/api/v1/pairings";
const PENDING_KEY = `hall.pairing.${ds.kind}`;
const RETRY_MS = 5000;
const page = { request: null, resumed: false, timer: null, claimed: null };
window.hallPairing = page; // for tests and for support on site

// Where each kind of device's page looks for its token (kiosk-lib.js kioskToken,
// hall-live.js screenToken with the keys of hall-screen.js, counter-screen.js and pad.js).
export function tokenKey(claimed) {
  if (claimed.kind === "kiosk") return `hall.kiosk.${claimed.device_id}`;
  if (claimed.kind === "pad") return `hall.token.pad.${claimed.device_id}`;
  if (claimed.counter_id != null) return `hall.token.counter.${claimed.counter_id}`;
  return `hall.token.screen.${claimed.device_id}`;
}

function storage(action, key, value) {
  try {
    if (action === "get") return localStorage.getItem(key);
    if (action === "set") localStorage.setItem(key, value);
    else localStorage.removeItem(key);
    return true;
  } catch {
    return null; // storage disabled (private mode): the page still works until a reload
  }
}

function say(id, words) {
  const el = $(id);
  el.textContent = words || "";
  el.hidden = !words;
}

function setState(state) {
  body.dataset.state = state;
}

async function post(url, payload) {
  const lang = encodeURIComponent(ds.locale || "zh_CN");
  const r = await fetch(`${url}?lang=${lang}`, {
    method: "POST", credentials: "omit", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload),
  });
  let reply = null;
  try {
    reply = await r.json();
  } catch {
    reply = null;
  }
  const wait = Number.parseInt(r.headers.get("Retry-After") || "", 10);
  return { status: r.status, reply, waitMs: (Number.isFinite(wait) ? wait : 5) * 1000 };
}

// 429: too many requests from here, or too many devices waiting: say so and try again later
function later(res, fn) {
  say("pair-status", (res.reply && res.reply.error && res.reply.error.message) || T.failed);
  retry(fn, Math.max(RETRY_MS, res.waitMs));
}

function retry(fn, ms) {
  clearTimeout(page.timer);
  page.timer = setTimeout(fn, ms);
}

function showCode() {
  const { code, expires_at: expires } = page.request;
  $("pair-code").textContent = `${code.slice(0, 3)} ${code.slice(3)}`;
  $("pair-code").dataset.code = code;
  const time = new Date(expires).toLocaleTimeString(ds.lang, {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: ds.tz || undefined,
  });
  say("pair-expiry", T.validUntil.replace("{time}", time));
}

function failed(reply) {
  clearTimeout(page.timer);
  setState(reply && reply.error ? reply.error.code : "failed");
  say("pair-status", "");
  say("pair-error", (reply && reply.error && reply.error.message) || T.failed);
  $("pair-restart").hidden = false;
}

async function ask() {
  setState("asking");
  say("pair-error", "");
  $("pair-restart").hidden = true;
  const info = {};
  const { width, height } = window.screen || {};
  if (width && height) info.screen = `${width}x${height}`;
  let res;
  try {
    res = await post(API, { kind: ds.kind, name: ds.name || "", info });
  } catch {
    say("pair-status", T.offline);
    retry(ask, RETRY_MS);
    return;
  }
  if (res.status === 429) {
    later(res, ask);
    return;
  }
  if (res.status !== 201) {
    failed(res.reply);
    return;
  }
  page.request = res.reply;
  page.resumed = false;
  storage("set", PENDING_KEY, JSON.stringify(res.reply));
  showCode();
  poll();
}

async function poll() {
  const { id, secret } = page.request;
  let res;
  try {
    res = await post(`${API}/claim`, { id, secret });
  } catch {
    say("pair-status", T.offline);
    retry(poll, RETRY_MS);
    return;
  }
  if (res.status === 202) {
    setState("waiting");
    say("pair-status", T.waiting);
    retry(poll, Math.max(1, res.reply.poll_s || 3) * 1000);
    return;
  }
  if (res.status === 429) {
    later(res, poll);
    return;
  }
  storage("remove", PENDING_KEY);
  if (res.status === 200) approved(res.reply);
  else if (res.status === 404 && page.resumed) ask(); // a stale request from an earlier run
  else failed(res.reply);
}

function approved(claimed) {
  page.claimed = { device_id: claimed.device_id, kind: claimed.kind, page: claimed.page };
  setState("approved");
  say("pair-expiry", "");
  if (!claimed.page) { // an agent is a program: its token is copied into its config
    say("pair-status", T.agentToken);
    $("pair-token-value").textContent = claimed.token;
    $("pair-token").hidden = false;
    return;
  }
  say("pair-status", T.approved);
  const stored = storage("set", tokenKey(claimed), claimed.token);
  // without storage the page takes the token from its address once, and strips it
  const once = `?token=${encodeURIComponent(claimed.token)}`;
  window.location.replace(stored ? claimed.page : claimed.page + once);
}

$("pair-restart").addEventListener("click", ask);

const saved = (() => {
  try {
    return JSON.parse(storage("get", PENDING_KEY) || "null");
  } catch {
    return null;
  }
})();
if (saved && saved.id && saved.secret && Date.parse(saved.expires_at) > Date.now()) {
  page.request = saved;
  page.resumed = true;
  showCode();
  poll();
} else {
  ask();
}
