// 我要投诉建议 on the kiosk's touch screen (issue 19): what it is about (six kinds), the
// window or department if the visitor knows it, what happened, and a mobile number for the
// reply typed on a number pad — or none at all (anonymous). Filed with the kiosk's token
// (POST /api/v1/complaints/kiosk); the answer screen shows the complaint's number and a QR
// code of its own page (/complaint/<token>), where the reply appears. Every word shown comes
// translated from the page (#strings).

import { el, fill } from "../kiosk-lib.js";

const PHONE_DIGITS = 11;

export function complaintForm({ api, show, fail, speak, strings: T, catalog, qrUrl, locale }) {
  const $ = (id) => document.getElementById(id);
  const form = { category: "other", phone: "" };
  let windows = null;

  function name(thing) {
    return locale === "en" && thing.name_en ? thing.name_en : thing.name;
  }

  function options(select, first, items) {
    select.replaceChildren(el("option", "", first), ...items.map(([value, label]) => {
      const o = el("option", "", label);
      o.value = String(value);
      return o;
    }));
    select.firstChild.value = "";
  }

  function drawPhone() {
    const anonymous = $("complaint-anonymous").checked;
    $("complaint-phone").textContent = anonymous ? "" : form.phone;
    $("complaint-pad").classList.toggle("k-disabled", anonymous);
  }

  function choose(category) {
    form.category = category;
    for (const b of $("complaint-kinds").children) {
      b.setAttribute("aria-checked", String(b.dataset.category === category));
    }
  }

  async function open() {
    choose("other");
    form.phone = "";
    $("complaint-text").value = "";
    $("complaint-anonymous").checked = false;
    drawPhone();
    const departments = (catalog() || { departments: [] }).departments;
    options($("complaint-department"), T.complaintAnyDepartment,
            departments.map((d) => [d.id, name(d)]));
    options($("complaint-counter"), T.complaintAnyWindow, []);
    show("complaint", T.sayComplaint);
    try {
      windows = windows || (await api("GET", "/api/v1/counters")).counters;
      options($("complaint-counter"), T.complaintAnyWindow,
              windows.map((c) => [c.id, fill(T.complaintWindow, { counter: c.number })]));
    } catch {
      /* the windows are a help, not a must: the complaint is filed without one */
    }
  }

  function press(key) {
    if ($("complaint-anonymous").checked) return;
    if (key === "del") form.phone = form.phone.slice(0, -1);
    else if (key === "clear") form.phone = "";
    else if (/^\d$/.test(key) && form.phone.length < PHONE_DIGITS) form.phone += key;
    drawPhone();
  }

  async function send() {
    const text = $("complaint-text").value.trim();
    if (!text) return fail(T.complaintText);
    const anonymous = $("complaint-anonymous").checked;
    if (!anonymous && form.phone && form.phone.length !== PHONE_DIGITS) {
      return fail(T.complaintPhone);
    }
    const counter = Number($("complaint-counter").value) || null;
    const department = Number($("complaint-department").value) || null;
    const body = { text, category: form.category, anonymous,
                   ...(anonymous || !form.phone ? {} : { phone: form.phone }),
                   ...(counter ? { counter_id: counter } : {}),
                   ...(department ? { department_id: department } : {}) };
    const button = $("complaint-send");
    button.disabled = true;
    try {
      done(await api("POST", "/api/v1/complaints/kiosk", body));
    } catch (err) {
      fail(err.message);
    } finally {
      button.disabled = false;
    }
  }

  function done(made) {
    $("cd-number").textContent = made.number;
    const day = new Intl.DateTimeFormat(locale === "en" ? "en-US" : "zh-CN", {
      year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
    $("cd-due").textContent = fill(T.complaintDue, {
      day: day.format(new Date(`${made.due_date}T00:00:00Z`)) });
    $("cd-qr").src = qrUrl.replace("TOKEN", encodeURIComponent(made.token));
    $("screen-complaint-done").dataset.token = made.token;
    show("complaint-done");
    speak(fill(T.sayComplaintDone, { number: made.number }));
  }

  $("complaint-kinds").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-category]");
    if (b) choose(b.dataset.category);
  });
  $("complaint-pad").addEventListener("click", (ev) => {
    const key = ev.target.closest("[data-key]");
    if (key) press(key.dataset.key);
  });
  $("complaint-anonymous").addEventListener("change", drawPhone);
  $("complaint-send").addEventListener("click", send);
  return { open };
}
