// 请销假 for supervisors: the hall's leave requests (waiting ones first), each with its kind,
// period and reason; approve or refuse with a note (never one's own: the server refuses it,
// and the page says so beside it), 销假 of approved leave. /api/v1/duty/leave; reloads on
// leave.* events in the hall's room.
import { connectLive, debounce, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const api = new Api({ locale: ds.locale });
const page = { items: [], loads: 0 };
window.hallLeave = page;
const stamp = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN", {
  timeZone: ds.tz || undefined, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});
const camel = (s) => s.replace(/_(\w)/g, (_m, c) => c.toUpperCase());

function say(words, error = false) {
  text($("leave-error"), error ? words : "");
  text($("leave-message"), error ? "" : words);
}

function td(tr, value, cls) {
  const cell = document.createElement("td");
  if (value instanceof Node) cell.append(value);
  else cell.textContent = value ?? "";
  if (cls) cell.className = cls;
  tr.append(cell);
  return cell;
}

function button(label, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function actions(l) {
  const box = document.createElement("div");
  box.className = "leave-actions";
  if (l.state === "pending" && l.staff_id === Number(ds.me)) {
    box.append(Object.assign(document.createElement("span"),
                             { className: "leave-own", textContent: T.own }));
  } else if (l.state === "pending") {
    const note = document.createElement("input");
    note.className = "leave-note";
    note.maxLength = 500;
    note.placeholder = T.note;
    note.id = `note-${l.id}`;
    box.append(note,
               button(T.approve, "approve", () => decide(l, "approve", note.value)),
               button(T.refuse, "secondary refuse", () => decide(l, "refuse", note.value)));
  } else if (l.state === "approved") {
    box.append(button(T.return, "secondary return", () => decide(l, "return")));
  }
  return box;
}

function render() {
  const rows = page.items.map((l) => {
    const tr = document.createElement("tr");
    tr.id = `leave-${l.id}`;
    tr.className = `leave state-${l.state}`;
    td(tr, l.name);
    td(tr, T[camel(`kind_${l.kind}`)] || l.kind);
    td(tr, stamp.format(new Date(l.start)));
    td(tr, stamp.format(new Date(l.end)));
    td(tr, l.reason, "reason");
    const badge = Object.assign(document.createElement("span"), {
      className: `badge badge-${l.state}`, textContent: T[camel(`state_${l.state}`)] || l.state });
    const state = td(tr, badge, "state");
    if (l.note) state.append(Object.assign(document.createElement("small"), { textContent: l.note }));
    td(tr, actions(l));
    return tr;
  });
  $("leave-rows").replaceChildren(...rows);
  $("leave-empty").hidden = rows.length > 0;
  text($("leave-count"), String(rows.length));
}

async function load() {
  const state = $("leave-state").value;
  page.items = (await api.get(`/api/v1/duty/leave${state ? `?state=${state}` : ""}`)).leave;
  page.loads += 1;
  render();
  document.body.dataset.loaded = String(page.loads);
}

async function decide(l, what, note) {
  try {
    const body = what === "return" ? undefined : { note: note || null };
    await api.post(`/api/v1/duty/leave/${l.id}/${what}`, body);
    say(T.saved);
  } catch (err) {
    say(err.message, true);
  }
  await load();
}

async function start() {
  $("leave-state").addEventListener("change", () => load().catch((e) => say(e.message, true)));
  $("leave-filters").addEventListener("submit", (e) => e.preventDefault());
  await load();
  const reload = debounce(() => load().catch((err) => say(err.message, true)), 300);
  connectLive({
    room: `hall:${ds.hall}`,
    onEvent(e) {
      if (typeof e.type === "string" && e.type.startsWith("leave.")) reload();
    },
    onSnapshot: () => reload(),
  });
}

start().catch((err) => say(err.message, true));
