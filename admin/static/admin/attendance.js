// 考勤: the day's attendance per department, derived on the server from sign-ins against the
// rota (GET /api/v1/duty/attendance): each person's status — on time, late, left early,
// absent, on leave — with the minutes, and each shift they were expected at. Departments
// from GET /api/v1/duty/roster; reloads on counter and rota events in the hall's room.
import { connectLive, debounce, fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const api = new Api({ locale: ds.locale });
const page = { records: [], loads: 0 };
window.hallAttendance = page;
const camel = (s) => s.replace(/_(\w)/g, (_m, c) => c.toUpperCase());
const statusText = (s) => T[camel(`status_${s}`)] || s;
const todayHere = () => new Intl.DateTimeFormat("en-CA", { timeZone: ds.tz || undefined })
  .format(new Date());

function badge(status) {
  return Object.assign(document.createElement("span"), {
    className: `badge badge-${status}`, textContent: statusText(status) });
}

function row(r) {
  const tr = document.createElement("tr");
  tr.id = `attendance-${r.staff_id}`;
  tr.dataset.status = r.status;
  const cells = [r.name, badge(r.status), r.late_minutes || T.none, r.early_minutes || T.none,
                 r.absent_minutes || T.none];
  cells.forEach((v, i) => {
    const td = document.createElement("td");
    if (i >= 2) td.className = "num";
    td.append(v instanceof Node ? v : String(v));
    tr.append(td);
  });
  const shifts = document.createElement("td");
  for (const s of r.shifts) {
    const line = document.createElement("small");
    line.append(fill(T.shift, { shift: s.shift_name, counter: s.counter, post: s.post }), " ",
                badge(s.status));
    shifts.append(line);
  }
  tr.append(shifts);
  return tr;
}

function render() {
  const groups = new Map();
  for (const r of page.records) {
    const k = r.department_id ?? 0;
    if (!groups.has(k)) groups.set(k, { name: r.department || T.noDepartment, rows: [] });
    groups.get(k).rows.push(r);
  }
  const tables = [...groups.entries()].map(([id, g]) => {
    const node = $("attendance-table").content.firstElementChild.cloneNode(true);
    node.id = `department-${id}`;
    text(node.querySelector("h2"), g.name);
    node.querySelector("tbody").replaceChildren(...g.rows.map(row));
    return node;
  });
  $("attendance-tables").replaceChildren(...tables);
  $("attendance-empty").hidden = page.records.length > 0;
  text($("attendance-count"), String(page.records.length));
}

async function load() {
  const params = new URLSearchParams({ day: $("attendance-day").value });
  if ($("attendance-department").value) params.set("department_id", $("attendance-department").value);
  try {
    page.records = (await api.get(`/api/v1/duty/attendance?${params}`)).records;
    text($("attendance-error"), "");
  } catch (err) {
    text($("attendance-error"), err.message);
    page.records = [];
  }
  page.loads += 1;
  render();
  document.body.dataset.loaded = String(page.loads);
}

async function start() {
  $("attendance-day").value = todayHere();
  const { departments } = await api.get("/api/v1/duty/roster");
  $("attendance-department").append(...departments.map((d) => new Option(d.name, String(d.id))));
  $("attendance-day").addEventListener("change", load);
  $("attendance-department").addEventListener("change", load);
  $("attendance-form").addEventListener("submit", (e) => e.preventDefault());
  await load();
  const reload = debounce(load, 500);
  connectLive({
    room: `hall:${ds.hall}`,
    onEvent(e) {
      if (typeof e.type === "string" && (e.type === "counter.state" || e.type.startsWith("rota.")
          || e.type.startsWith("leave."))) reload();
    },
    onSnapshot: () => reload(),
  });
}

start().catch((err) => text($("attendance-error"), err.message));
