// Staff on duty at the terminal: "my week" (read-only: my posts, and the posts I cover for
// someone on leave, AB岗), a banner while I cover a window today, my leave requests with
// 撤回/销假, and the leave form (kind, period in the hall's own zone, reason).
// GET /api/v1/duty/rota?mine=true, GET|POST /api/v1/duty/leave…; live: `rota.cover` (my
// staff room hears it wherever I am signed in) and `leave.*` make it read again.
import { fill, text } from "/display/static/hall-live.js";

const $ = (id) => document.getElementById(id);
const W = () => $("t-duty").dataset;
const camel = (s) => s.replace(/_(\w)/g, (_m, c) => c.toUpperCase());

// "2026-12-14T09:00" on the wall clocks of ``zone`` → the instant (ISO, UTC)
export function zonedInstant(local, zone) {
  const guess = Date.parse(`${local}:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute,
                        parts.second);
  return new Date(guess - (wall - guess)).toISOString();
}

export class Duty {
  constructor({ api, failed, lang }) {
    this.api = api;
    this.failed = failed;
    this.me = null;
    this.zone = undefined;
    this.lang = lang;
    this.timer = null;
    $("btn-leave").addEventListener("click", () => this.openForm());
    $("leave-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
  }

  start(me, zone) {
    this.me = me;
    this.zone = zone;
    this.refresh();
  }

  // a live event: true when it was duty news (the caller need not look further)
  handles(e) {
    if (typeof e.type !== "string") return false;
    if (e.type === "rota.cover" || e.type.startsWith("leave.") || e.type === "rota.changed") {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), 100);
      return true;
    }
    return false;
  }

  today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: this.zone }).format(new Date());
  }

  async refresh() {
    if (!this.me) return;
    try {
      const [week, leave] = await Promise.all([
        this.api.get(`/duty/rota?mine=true&day=${this.today()}`),
        this.api.get("/duty/leave?mine=true")]);
      this.renderWeek(week);
      this.renderLeave(leave.leave);
      document.body.dataset.duty = String(Date.now());
    } catch (err) {
      this.failed(err);
    }
  }

  dayLabel(day) {
    const d = new Date(`${day}T00:00:00Z`);
    return new Intl.DateTimeFormat(this.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: "UTC", weekday: "short", month: "2-digit", day: "2-digit" }).format(d);
  }

  renderWeek(week) {
    const w = W();
    const today = this.today();
    const me = this.me.id;
    text($("t-week-label"), week.monday);
    let banner = "";
    // the A posts I hold for someone on leave (AB岗): shown on my own B post of that shift
    const key = (p) => `${p.day} ${p.shift} ${p.counter}`;
    const covered = new Map(week.posts.filter((p) => p.staff_id !== me && p.cover
                                              && p.cover.staff_id === me).map((p) => [key(p), p]));
    const items = week.posts.filter((p) => p.staff_id === me).map((p) => {
      const li = document.createElement("li");
      li.id = `week-${p.day}-${p.shift}-${p.counter}-${p.post}`;
      let words = fill(w.post, { day: this.dayLabel(p.day), shift: p.shift_name,
                                 counter: p.counter, post: p.post });
      const a = p.post === "B" ? covered.get(key(p)) : null;
      if (a) {
        li.classList.add("covering");
        words += ` · ${fill(w.covering, { name: a.name })}`;
        if (p.day === today && !banner) {
          banner = fill(w.coverNow, { counter: p.counter, shift: p.shift_name, name: a.name });
        }
      } else if (p.on_leave) {
        li.classList.add("away");
        words += ` · ${p.cover && p.cover.name ? fill(w.away, { name: p.cover.name }) : w.awayNobody}`;
      }
      if (p.day === today) li.classList.add("today");
      li.textContent = words;
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.textContent = w.noPosts;
      items.push(li);
    }
    $("t-week").replaceChildren(...items);
    $("t-cover").hidden = !banner;
    text($("t-cover"), banner);
  }

  renderLeave(list) {
    const w = W();
    const stamp = new Intl.DateTimeFormat(this.lang === "en" ? "en-GB" : "zh-CN", {
      timeZone: this.zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hour12: false });
    const open = list.slice(0, 6); // the latest requests, newest first
    $("t-leave").replaceChildren(...open.map((l) => {
      const li = document.createElement("li");
      li.id = `my-leave-${l.id}`;
      li.dataset.state = l.state;
      const span = document.createElement("span");
      const note = l.note ? ` (${l.note})` : "";
      span.textContent = `${w[camel(`kind_${l.kind}`)] || l.kind} ${stamp.format(new Date(l.start))}`
        + `–${stamp.format(new Date(l.end))} · ${w[camel(`state_${l.state}`)] || l.state}${note}`;
      li.append(span);
      if (l.state === "pending" || l.state === "approved") {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "ct-link";
        b.id = `leave-return-${l.id}`;
        b.textContent = l.state === "pending" ? w.withdraw : w.return;
        b.addEventListener("click", () => this.back(l));
        li.append(b);
      }
      return li;
    }));
  }

  openForm() {
    text($("leave-error"), "");
    $("dlg-leave").showModal();
    $("leave-reason").focus();
  }

  async send() {
    const start = $("leave-start").value;
    const end = $("leave-end").value;
    try {
      await this.api.post("/duty/leave", {
        kind: $("leave-kind").value, reason: $("leave-reason").value.trim(),
        start: start ? zonedInstant(start, this.zone) : "",
        end: end ? zonedInstant(end, this.zone) : "" });
      $("dlg-leave").close();
      $("leave-reason").value = "";
      this.refresh();
    } catch (err) {
      text($("leave-error"), err.message); // e.g. 请假结束时间须晚于开始时间 (field end)
    }
  }

  async back(l) {
    try {
      await this.api.post(`/duty/leave/${l.id}/return`);
      this.refresh();
    } catch (err) {
      this.failed(err);
    }
  }
}
