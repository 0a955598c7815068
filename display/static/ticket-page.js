// Phone page (/t/<token>): the ticket's state, people ahead, estimate, "your turn" — live.
import { connectLive, debounce, fill, getJSON, minutesRange, text } from "./hall-live.js";
import { announcerFromDataset } from "./voice.js";

const body = document.body;
const ds = body.dataset;
const T = document.getElementById("strings").dataset;
const ticketId = Number(ds.ticket);
const announcer = announcerFromDataset(ds, ds.static);
const baseTitle = document.title;
const POLL_MS = 60000; // a safety net; events do the real work

function setField(name, value) {
  for (const el of document.querySelectorAll(`[data-f="${name}"]`)) text(el, String(value));
}

function estimateText(estimate) {
  if (estimate === null) return T.noWindow; // no open window serves it: no number
  const range = minutesRange(estimate);
  if (!range) return "";
  if (range.low === 0) return fill(T.estimateShort, { high: Math.max(range.high, 1) });
  return fill(T.estimate, range);
}

function showState(state) {
  body.dataset.state = state;
  for (const el of document.querySelectorAll("[data-show]")) {
    el.hidden = !el.dataset.show.split(/\s+/).includes(state);
  }
  document.title = state === "called" ? `${T.turnTitle} · ${baseTitle}` : baseTitle;
}

function apply(ticket) {
  const before = body.dataset.state;
  // finished while this page is open: load it again, so the rating form (issue 19) shows
  if (before !== "done" && ticket.state === "done" && !document.getElementById("t-rate")) {
    window.location.reload();
    return;
  }
  showState(ticket.state);
  if (ticket.counter) setField("counter", ticket.counter.number);
  if (ticket.state === "waiting") {
    const ahead = ticket.ahead ?? 0;
    setField("ahead", ahead);
    document.querySelector('[data-when="ahead"]').hidden = ahead === 0;
    document.querySelector('[data-when="next"]').hidden = ahead !== 0;
    setField("estimate", estimateText(ticket.estimated_wait));
  }
  showCase(ticket.case);
  if (ticket.transferred_to) {
    const link = document.getElementById("t-transfer");
    link.href = `../t/${encodeURIComponent(ticket.transferred_to.token)}`;
    text(link, ticket.transferred_to.number);
  }
  if (before !== "called" && ticket.state === "called") alertTurn();
}

// 受理: the case number (a link to 办件查询), its look-up code and its due date instead of
// "done" (this page is the ticket holder's: the code is theirs to see)
function showCase(found) {
  for (const el of document.querySelectorAll("[data-case]")) {
    el.hidden = (el.dataset.case === "some") !== Boolean(found);
  }
  if (!found) return;
  const link = document.getElementById("t-case-number");
  link.href = `/case/${encodeURIComponent(found.number)}`
    + `?code=${encodeURIComponent(found.lookup_code)}`;
  text(link, found.number);
  text(document.getElementById("t-case-code"), found.lookup_code);
  const due = document.getElementById("t-case-due");
  if (due.dataset.date === found.due_date && due.textContent.trim()) return;
  due.dataset.date = found.due_date;
  const day = new Date(`${found.due_date}T00:00:00Z`);
  text(due, new Intl.DateTimeFormat(ds.lang || undefined, { dateStyle: "long", timeZone: "UTC" })
    .format(day));
}

function alertTurn() {
  if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
  const status = document.getElementById("t-status");
  status.classList.remove("flash");
  void status.offsetWidth;
  status.classList.add("flash");
}

const refresh = debounce(async () => {
  try {
    apply(await getJSON(ds.ticketUrl));
  } catch (err) {
    console.warn("ticket refresh failed", err);
  }
}, 600);

function onEvent(e, { replayed }) {
  // 多窗联办: the step this page shows is done and the same number waits at the next one;
  // the page (the same address) draws that step and follows its line from now on
  if (e.type === "ticket.step" && e.ticket_id === ticketId) {
    window.location.reload();
    return;
  }
  const mine = e.ticket_id === ticketId || e.new_ticket_id === ticketId;
  if (mine && (e.type === "ticket.called" || e.type === "ticket.recalled")) {
    if (e.counter_number != null) setField("counter", e.counter_number);
    const age = (Date.now() - Date.parse(e.at || "")) / 1000;
    if (!replayed || !(age > 90)) {
      announcer.push({ number: e.number, counter: e.counter_number,
                       text_zh: (e.announce || {}).zh || "", text_en: (e.announce || {}).en || "",
                       clips: (e.announce || {}).clips,
                       seq: e.seq, recall: e.type === "ticket.recalled" });
    }
    showState("called");
    if (!replayed) alertTurn();
  }
  // People ahead and the estimate change when this ticket or its line does; every change to
  // a line is followed by a queue.stats, so the other events of the line need no fetch.
  if (mine || e.type === "queue.stats") refresh();
}

function start() {
  // initial numbers (the estimate text is formatted here, in one place)
  refresh();
  connectLive({
    token: ds.token,
    room: `ticket:${ds.token}`,
    onEvent,
    onSnapshot: apply,
    onSynced: refresh,
    onStatus(status) {
      const line = document.getElementById("t-live");
      if (!line.dataset.idle) line.dataset.idle = line.textContent;
      text(line, status === "offline" || status === "reconnecting" ? T.offline
        : line.dataset.idle);
    },
  });
  setInterval(refresh, POLL_MS);
}

start();
