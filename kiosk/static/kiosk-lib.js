// Helpers of the kiosk page that know nothing of its screens: the device token, templates,
// the JSON API with the kiosk's token, the browser's voice, on-screen keypads.

// A kiosk's token arrives once as ?token=…; it is kept in localStorage and removed from the
// address bar (not shown, not bookmarked, not sent as a Referer), as screens do.
export function kioskToken(device) {
  const key = `hall.kiosk.${device}`;
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    try {
      localStorage.setItem(key, given);
    } catch {
      /* storage disabled: the token lives as long as the page */
    }
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.toString());
    return given;
  }
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

export class KioskError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// fetch with the kiosk's token and language; a refusal becomes a KioskError carrying the
// server's translated message (or ``fallback`` when there is none, ``offline`` when the
// server cannot be reached)
export async function request(method, path, payload, { token, locale, offline, fallback }) {
  const sep = path.includes("?") ? "&" : "?";
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(`${path}${sep}lang=${locale}`, {
      method, headers, cache: "no-store", credentials: "same-origin",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  } catch {
    throw new KioskError(offline, 0, null);
  }
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok) {
    const message = data && data.error && data.error.message ? data.error.message : fallback;
    throw new KioskError(message, r.status, data);
  }
  return data;
}

// Voice prompts (elder mode): the browser's own speech when it has a voice for the
// language; offline on kiosks whose OS ships one (Windows, Android), silent otherwise.
export function say(text, locale) {
  if (!text || !("speechSynthesis" in window)) return;
  try {
    window.speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(text);
    u.lang = locale === "en" ? "en-US" : "zh-CN";
    u.rate = 0.9;
    window.speechSynthesis.speak(u);
  } catch {
    /* no voice: the screen still says it all */
  }
}

// What was typed on each keypad's <output>. Not the output's own value: that is its text,
// and the text may be masked (an ID number).
const typed = new WeakMap();

export function entryValue(entry) {
  return typed.get(entry) || "";
}

// An on-screen keypad writing into an <output>; ``accept(value, key)`` may refuse a key;
// ``shown(value)`` is what the screen shows of it (entryValue gives what was typed).
export function bindPad(pad, entry, max, accept, shown = (value) => value) {
  pad.addEventListener("click", (ev) => {
    const key = ev.target.closest("[data-key]");
    if (!key) return;
    const k = key.dataset.key;
    let value = entryValue(entry);
    if (k === "del") value = value.slice(0, -1);
    else if (k === "abc") {
      const alpha = pad.querySelector(".k-keys-alpha");
      if (alpha) alpha.hidden = !alpha.hidden;
    } else if (value.length < max && accept(value, k)) value += k;
    typed.set(entry, value);
    entry.textContent = shown(value);
  });
}

export function resetEntry(entry) {
  typed.set(entry, "");
  entry.textContent = "";
}

// GB 11643: 17 digits and a check character (ISO 7064 MOD 11-2), so a typo is caught here
// rather than after a trip to the server. "length" when the number is not 17 digits and a
// digit or X, "check" when it is but its check character does not match, else null.
export function idNumberProblem(id) {
  if (!/^\d{17}[\dX]$/.test(id)) return "length";
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(id[i]) * w[i];
  return "10X98765432"[sum % 11] === id[17] ? null : "check";
}

// An ID number as the screen shows it while it is typed: the first four and the last four
// characters, the ten between as * (1101**********1234), so a passer-by cannot read it.
export function maskIdNumber(id) {
  return id.slice(0, 4) + "*".repeat(Math.max(0, Math.min(id.length, 14) - 4)) + id.slice(14);
}
