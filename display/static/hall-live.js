// Live events of one room of the /hall Socket.IO namespace, with resync (hall/realtime/live.py).
//
// Protocol: connect with auth {token}; emit "subscribe" {room, last_seq}; the ack carries the
// events after last_seq (ack.events, in order) or a snapshot (ack.snapshot) when the client
// is too far behind. A live event can overtake the ack, so live events are held until the
// ack has been applied, and any seq already seen is dropped. A reconnect gets a new sid with
// no rooms: subscribe again, from the last seq applied, on every "connect".
//
// A device whose token is revoked is dropped by the server ("io server disconnect") and
// refused on reconnect; its HTTP requests get 401. A page holding a device token
// (screenToken) then forgets the token and goes to /pair, which says so (forgetDevice).
import { io } from "../vendor/socket.io-client/dist/socket.io.esm.min.js";

const SEEN_MAX = 2000;
const ACK_TIMEOUT_MS = 10000;
const RETRY_MS = 2000;

// The device token this page holds (screenToken), so a refusal of it can be told from a
// refusal of anything else (a phone's ticket token, a supervisor's preview).
const device = { token: null, key: null };

function storageKey(room) {
  return `hall.lastSeq.${room}`;
}

export function storedSeq(room) {
  try {
    const n = Number.parseInt(sessionStorage.getItem(storageKey(room)) || "0", 10);
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    return 0; // storage disabled (private mode): start from the baseline
  }
}

function storeSeq(room, seq) {
  try {
    sessionStorage.setItem(storageKey(room), String(seq));
  } catch {
    /* not fatal */
  }
}

export class LiveRoom {
  // opts: {room, token, lastSeq, onEvent(e, {replayed}), onSnapshot(snap, {lastSeq}),
  //        onSynced({snapshot, count}), onStatus(status, detail), url, transports}
  constructor(opts) {
    this.opts = opts;
    this.room = opts.room;
    this.lastSeq = opts.lastSeq ?? storedSeq(opts.room);
    this.floor = this.lastSeq; // every seq <= floor counts as seen
    this.seen = new Set();
    this.held = [];
    this.holding = true;
    this.generation = 0;
    this.socket = null;
    this.closed = false;
  }

  start() {
    const { token, url = "/hall", transports } = this.opts;
    const options = { auth: token ? { token } : {} };
    if (transports) options.transports = transports;
    this.socket = io(url, options);
    this.socket.on("connect", () => this.subscribe());
    this.socket.on("disconnect", (reason) => {
      this.holding = true;
      this.status("offline");
      // the server dropped us: a revoked device, or a server going down for a moment
      if (reason === "io server disconnect") this.dropped(token, true);
    });
    this.socket.on("connect_error", (err) => {
      // socket.active is false when the server refused us (bad token): no retry follows
      this.status(this.socket.active ? "reconnecting" : "refused", err && err.message);
      if (!this.socket.active) this.dropped(token, false);
    });
    this.socket.onAny((_name, data) => this.receive(data));
    this.status("connecting");
    return this;
  }

  close() {
    this.generation += 1;
    this.closed = true; // closed on purpose: its disconnect is no news for the page
    if (this.socket) this.socket.close();
  }

  // Dropped or refused by the server: a device page asks the API whether its token still
  // holds (getJSON forgets a revoked one and goes to /pair). Dropped with a good token (the
  // server was going away), it connects again after a pause; socket.io does not on its own.
  async dropped(token, reconnect) {
    if (!token || token !== device.token) return;
    try {
      await getJSON("/api/v1/devices/me", token);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) return;
    }
    if (!reconnect) return;
    setTimeout(() => {
      if (!this.socket.connected && !this.socket.active) this.socket.connect();
    }, RETRY_MS);
  }

  status(state, detail) {
    if (this.closed) return;
    document.body.dataset.live = state;
    if (this.opts.onStatus) this.opts.onStatus(state, detail);
  }

  subscribe() {
    this.holding = true;
    this.floor = Math.max(this.floor, this.lastSeq);
    const generation = ++this.generation;
    const request = { room: this.room, last_seq: this.lastSeq };
    this.status("subscribing");
    this.socket.timeout(ACK_TIMEOUT_MS).emit("subscribe", request, (err, ack) => {
      if (generation !== this.generation) return; // a newer subscribe superseded this one
      if (err) {
        if (this.socket.connected) setTimeout(() => this.socket.connected && this.subscribe(),
                                              RETRY_MS);
        return;
      }
      if (!ack || !ack.ok) {
        this.status("forbidden", ack && ack.error ? ack.error.message : "");
        return;
      }
      this.acknowledged(ack);
    });
  }

  acknowledged(ack) {
    let count = 0;
    if (ack.snapshot) {
      const base = ack.snapshot.last_seq ?? ack.last_seq ?? this.lastSeq;
      this.seen.clear();
      this.floor = base;
      this.lastSeq = base;
      storeSeq(this.room, base);
      if (this.opts.onSnapshot) this.opts.onSnapshot(ack.snapshot, { lastSeq: base });
    } else {
      for (const e of ack.events || []) count += this.apply(e, true);
      // the backlog of this room is complete up to ack.last_seq
      if (typeof ack.last_seq === "number" && ack.last_seq > this.lastSeq) {
        this.lastSeq = ack.last_seq;
        storeSeq(this.room, this.lastSeq);
      }
    }
    this.holding = false;
    const held = this.held.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    this.held = [];
    for (const e of held) count += this.apply(e, false);
    this.status("live");
    if (this.opts.onSynced) this.opts.onSynced({ snapshot: Boolean(ack.snapshot), count });
  }

  receive(e) {
    if (!e || typeof e !== "object") return;
    if (this.holding) {
      this.held.push(e);
      return;
    }
    this.apply(e, false);
  }

  // returns 1 when the event was new and delivered, 0 when dropped as already seen
  apply(e, replayed) {
    if (typeof e.seq === "number") {
      if (e.seq <= this.floor || this.seen.has(e.seq)) return 0;
      this.remember(e.seq);
      if (e.seq > this.lastSeq) {
        this.lastSeq = e.seq;
        storeSeq(this.room, e.seq);
      }
    }
    try {
      this.opts.onEvent(e, { replayed });
    } catch (err) {
      console.error("hall-live: event handler failed", e, err); // one bad event never stops the rest
    }
    return 1;
  }

  remember(seq) {
    this.seen.add(seq);
    if (this.seen.size > SEEN_MAX) {
      const oldest = this.seen.values().next().value;
      this.seen.delete(oldest);
      this.floor = Math.max(this.floor, oldest);
    }
  }
}

export function connectLive(opts) {
  return new LiveRoom(opts).start();
}

// --- small helpers shared by the pages -------------------------------------------------

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export class HttpError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function getJSON(url, token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (r.status === 401 && token && token === device.token) forgetDevice();
  if (!r.ok) throw new HttpError(r.status, body);
  return body;
}

// A screen's token arrives once as ?token=…; it is kept in localStorage and removed from
// the address bar (so it is not shown, bookmarked or sent as a Referer).
export function screenToken(key) {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  try {
    if (given) {
      localStorage.setItem(key, given);
      localStorage.setItem("hall.token", given);
    }
  } catch {
    /* storage disabled: the token lives as long as the page */
  }
  let token = given;
  if (given) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.toString());
  } else {
    try {
      token = localStorage.getItem(key) || localStorage.getItem("hall.token");
    } catch {
      token = null;
    }
  }
  device.token = token;
  device.key = key;
  return token;
}

// The token was revoked: forget it wherever this browser kept it, and open /pair, which
// says the device is no longer registered and offers to pair it again.
export function forgetDevice() {
  if (!device.token) return;
  const kind = /^hall\.token\.pad\./.test(device.key || "") ? "pad" : "screen";
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith("hall.") && localStorage.getItem(key) === device.token) {
        localStorage.removeItem(key);
      }
    }
  } catch {
    /* storage disabled: nothing kept */
  }
  device.token = null;
  window.location.replace(`/pair?kind=${kind}&revoked=1`);
}

// A page device (hall screen, window screen, rating pad) says it is alive every
// data-heartbeat-s seconds (web/page.html's meta, from HALL_DEVICE_HEARTBEAT_SECONDS), with
// the version of the page it runs: the server marks a silent one offline and raises an alert
// (hall/services/devices/health.py mark_silent). A page without a device token sends nothing.
export function startHeartbeat(token, page) {
  const meta = document.querySelector('meta[name="hall-page-version"]');
  if (!token || !meta) return null;
  const everyMs = Math.max(1, Number(meta.dataset.heartbeatS) || 30) * 1000;
  const beat = async () => {
    try {
      const r = await fetch("/api/v1/devices/me/health", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   Authorization: `Bearer ${token}` },
        body: JSON.stringify({ online: true, error: null, page, page_version: meta.content }),
        credentials: "omit",
        cache: "no-store",
      });
      // read the answer to its end: an unread body keeps the request open in the browser
      // (the page never reaches network idle and the connection is not reused)
      await r.text();
      if (r.status === 401 && token === device.token) forgetDevice();
    } catch (err) {
      console.warn("heartbeat not sent", err); // the server is away: the next one will do
    }
  };
  beat();
  return setInterval(beat, everyMs);
}

export function text(el, value) {
  if (el && el.textContent !== value) el.textContent = value;
}

export function minutesRange(estimate) {
  if (!estimate) return null;
  const low = Math.floor((estimate.min_s || 0) / 60);
  const high = Math.max(low, Math.ceil((estimate.max_s || 0) / 60));
  return { low, high };
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

// 多窗联办: "第2步 缴纳税费" beside a chain ticket's number (the call's ``chain``: step, of,
// the step's service); "" for a plain ticket. The voice says only the number, as for any.
export function stepText(chain, template, english = false) {
  if (!chain || !chain.service) return "";
  return fill(template, { step: chain.step, of: chain.of,
                          service: (english && chain.service.name_en) || chain.service.name });
}
