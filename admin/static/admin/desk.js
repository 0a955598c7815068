// 首问 desk: the staff member signed in logs each inquiry — the visitor's question and its
// service, the answer or referral, the window handed to, a number taken for the visitor
// (代取号, which carries this first contact to the window that serves it) — and sees the
// desk's latest inquiries. POST/GET /api/v1/duty/inquiries; services from /api/v1/queues,
// windows from /api/v1/counters.
import { fill, text } from "/display/static/hall-live.js";
import { Api } from "/web/static/api.js";

const ds = document.body.dataset;
const T = document.getElementById("strings").dataset;
const $ = (id) => document.getElementById(id);
const api = new Api({ locale: ds.locale });
const english = ds.lang === "en";
const stamp = new Intl.DateTimeFormat(english ? "en-GB" : "zh-CN", {
  timeZone: ds.tz || undefined, month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", hour12: false,
});

function say(words, error = false) {
  text($("desk-error"), error ? words : "");
  text($("desk-message"), error ? "" : words);
}

async function options() {
  const [{ services }, { counters }] = await Promise.all([
    api.get("/api/v1/queues"), api.get("/api/v1/counters")]);
  $("desk-service").append(...services.map((s) => new Option(
    (english && s.name_en) || s.name, s.code)));
  $("desk-counter").append(...counters.map((c) => new Option(
    fill(T.windowNamed, { counter: c.number, name: c.name }), String(c.number))));
}

async function load() {
  const { inquiries } = await api.get("/api/v1/duty/inquiries");
  $("desk-rows").replaceChildren(...inquiries.map((q) => {
    const tr = document.createElement("tr");
    tr.id = `inquiry-${q.id}`;
    for (const v of [stamp.format(new Date(q.at)), q.staff, q.question, q.answer || T.none,
                     q.counter != null ? fill(T.window, { counter: q.counter }) : T.none,
                     q.ticket || T.none]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
  document.body.dataset.loaded = String(Date.now());
}

async function submit(e) {
  e.preventDefault();
  const counter = $("desk-counter").value;
  const body = {
    question: $("desk-question").value.trim(), answer: $("desk-answer").value.trim(),
    service: $("desk-service").value || null, counter: counter ? Number(counter) : null,
    take_ticket: $("desk-take").checked,
  };
  $("desk-submit").disabled = true;
  try {
    const r = await api.post("/api/v1/duty/inquiries", body);
    say(T.logged);
    $("desk-ticket").hidden = !r.ticket;
    text($("desk-ticket"), r.ticket ? fill(T.ticket, { number: r.ticket.number }) : "");
    for (const id of ["desk-question", "desk-answer", "desk-service", "desk-counter"]) $(id).value = "";
    $("desk-take").checked = false;
    await load();
  } catch (err) {
    say(err.message, true);
  } finally {
    $("desk-submit").disabled = false;
  }
}

async function start() {
  $("desk-form").addEventListener("submit", submit);
  await options();
  await load();
}

start().catch((err) => say(err.message, true));
