// 排班 for supervisors: a week per window and shift, an A and a B post in each cell (a select
// of the hall's staff; the empty choice clears the post), posts on leave with who covers
// them, copying the week forward, and the week as a rota file (CSV) out and back in.
// Reads and writes /api/v1/duty; reloads when the rota or leave changes (hall room).
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const api = new Api({ locale: ds.locale });
const page = { week: null, roster: null, day: null, loads: 0 };
window.hallRota = page;

const DAY = 86400000;
const iso = (d) => d.toISOString().slice(0, 10);
const addDays = (day, n) => iso(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY));
const weekday = new Intl.DateTimeFormat(ds.lang === "en" ? "en-GB" : "zh-CN",
                                        { weekday: "short", timeZone: "UTC" });
const todayHere = () => new Intl.DateTimeFormat("en-CA", { timeZone: ds.tz || undefined })
  .format(new Date());

function say(words, error = false) {
  text($("rota-error"), error ? words : "");
  text($("rota-message"), error ? "" : words);
}

function personSelect(id, chosen) {
  const select = document.createElement("select");
  select.id = id;
  const none = new Option(T.nobody, "");
  select.append(none);
  for (const s of page.roster.staff) {
    const label = s.number ? `${s.name} (${s.number})` : s.name;
    select.append(new Option(label, String(s.id), false, s.id === chosen));
  }
  return select;
}

function postCell(counter, day, shift, post) {
  const p = page.week.posts.find((x) => x.counter === counter && x.day === day
                                  && x.shift === shift && x.post === post);
  const wrap = document.createElement("div");
  wrap.className = `rota-post${p && p.on_leave ? " on-leave" : ""}`;
  const b = document.createElement("b");
  b.textContent = post;
  const select = personSelect(`post-${counter}-${day}-${shift}-${post}`, p ? p.staff_id : null);
  select.addEventListener("change", () => assign(counter, day, shift, post, select));
  wrap.append(b, select);
  const cell = [wrap];
  if (p && p.on_leave) {
    const note = document.createElement("span");
    const nobody = !p.cover || p.cover.staff_id == null;
    note.className = `rota-cover${nobody ? " nobody" : ""}`;
    note.id = `cover-${counter}-${day}-${shift}-${post}`;
    note.textContent = nobody ? T.uncovered : fill(T.onLeave, { name: p.cover.name });
    cell.push(note);
  }
  return cell;
}

function render() {
  const { monday, shifts } = page.week;
  const days = [...Array(7).keys()].map((n) => addDays(monday, n));
  const today = todayHere();
  text($("week-label"), fill(T.week, { monday }));
  $("week-day").value = page.day;
  $("export-csv").href = `/api/v1/duty/rota/export?day=${monday}&format=csv`;
  const head = [document.createElement("th"), document.createElement("th")];
  for (const day of days) {
    const th = document.createElement("th");
    th.textContent = `${weekday.format(new Date(`${day}T00:00:00Z`))} ${day.slice(5)}`;
    if (day === today) th.className = "today";
    head.push(th);
  }
  $("rota-head").replaceChildren(...head);
  const rows = [];
  for (const c of page.roster.counters) {
    for (const s of shifts) {
      const tr = document.createElement("tr");
      tr.id = `rota-${c.number}-${s.code}`;
      const win = document.createElement("th");
      win.textContent = fill(T.window, { counter: c.number });
      const sh = document.createElement("td");
      sh.append(s.name, Object.assign(document.createElement("small"),
                                      { textContent: `${s.start}–${s.end}` }));
      tr.append(win, sh);
      for (const day of days) {
        const td = document.createElement("td");
        if (day === today) td.className = "today";
        td.append(...postCell(c.number, day, s.code, "A"), ...postCell(c.number, day, s.code, "B"));
        tr.append(td);
      }
      rows.push(tr);
    }
  }
  $("rota-body").replaceChildren(...rows);
}

async function load() {
  page.week = await api.get(`/api/v1/duty/rota?day=${page.day}`);
  page.loads += 1;
  render();
  document.body.dataset.loaded = String(page.loads);
}

async function assign(counter, day, shift, post, select) {
  const staff = select.value ? Number(select.value) : null;
  try {
    await api.request("PUT", "/api/v1/duty/rota", { counter, day, shift, post, staff_id: staff });
    say(T.saved);
  } catch (err) {
    say(err.message, true);
  }
  await load();
}

async function copyForward() {
  const weeks = Number($("copy-weeks").value) || 1;
  const target = addDays(page.week.monday, 7);
  try {
    const r = await api.post("/api/v1/duty/rota/copy",
                             { source: page.week.monday, target, weeks });
    say(fill(T.copied, { posts: r.posts, weeks: r.weeks, target: r.target }));
  } catch (err) {
    say(err.message, true);
  }
}

async function importFile(file) {
  try {
    const r = await api.post("/api/v1/duty/rota/import", { csv: await file.text() });
    say(fill(T.imported, { posts: r.posts }));
  } catch (err) {
    say(err.message, true);
  }
  $("import-file").value = "";
  await load();
}

function go(day) {
  page.day = day;
  load().catch((err) => say(err.message, true));
}

async function start() {
  page.day = todayHere();
  page.roster = await api.get("/api/v1/duty/roster");
  await load();
  $("week-prev").addEventListener("click", () => go(addDays(page.day, -7)));
  $("week-next").addEventListener("click", () => go(addDays(page.day, 7)));
  $("week-day").addEventListener("change", () => $("week-day").value && go($("week-day").value));
  $("week-form").addEventListener("submit", (e) => e.preventDefault());
  $("copy-submit").addEventListener("click", copyForward);
  $("import-file").addEventListener("change", () => {
    const file = $("import-file").files[0];
    if (file) importFile(file);
  });
  const reload = debounce(() => load().catch((err) => say(err.message, true)), 300);
  connectLive({
    room: `hall:${ds.hall}`,
    onEvent(e) {
      if (typeof e.type === "string" && (e.type.startsWith("rota.") || e.type.startsWith("leave."))) reload();
    },
    onSnapshot: () => reload(),
  });
}

start().catch((err) => say(err.message, true));
