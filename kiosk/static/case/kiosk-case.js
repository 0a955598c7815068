// 办件查询 on the kiosk's touch screen. The hall's code (the letters of a case number) is
// filled in from the server, so the visitor types digits only — the 8-digit acceptance date,
// then the sequence — on a large number pad: no letter keyboard to hunt through, and the
// dash falls into place by itself. Then, on the same pad, the 6-digit look-up code (查询码)
// printed under the number (numbers are sequential: the number alone shows nothing). The
// answer comes from the public GET /api/v1/cases/<n>?code=…, as on the phone page; every
// word shown comes translated from the page (#strings).

import { el, fill } from "../kiosk-lib.js";

const DATE_DIGITS = 8;
const SEQ_MIN = 4; // SMZX-20261123-0007: at least four digits after the date
const MAX_DIGITS = DATE_DIGITS + 6;
const CODE_DIGITS = 6;
const STATES = { accepted: "caseAccepted", in_progress: "caseInProgress", done: "caseDone",
                 returned: "caseReturned" };

export function caseLookup({ api, show, fail, home, speak, strings: T, locale, prefixUrl }) {
  const $ = (id) => document.getElementById(id);
  let prefix = null;
  let digits = "";
  let code = "";
  let step = "number"; // then "code"
  const dates = new Intl.DateTimeFormat(locale === "en" ? "en-US" : "zh-CN",
                                        { year: "numeric", month: "long", day: "numeric",
                                          timeZone: "UTC" });

  function day(iso) {
    return iso ? dates.format(new Date(`${iso}T00:00:00Z`)) : "";
  }

  function number() {
    return `${prefix}-${digits.slice(0, DATE_DIGITS)}-${digits.slice(DATE_DIGITS)}`;
  }

  function draw() {
    const ok = $("case-ok");
    $("case-hint").textContent = step === "code" ? T.caseCodeHint : T.caseNumberHint;
    ok.textContent = step === "code" ? T.caseLookUp : T.caseNext;
    if (step === "code") { // 查询码 12____
      $("case-prefix").textContent = `${T.caseCodeLabel} `;
      $("case-typed").textContent = code;
      $("case-rest").textContent = "_".repeat(CODE_DIGITS - code.length);
      ok.disabled = false;
      return;
    }
    // what is typed, and the places still to type as "_": TEST-2026____-____
    $("case-prefix").textContent = prefix ? `${prefix}-` : "…-";
    const date = digits.slice(0, DATE_DIGITS);
    const seq = digits.slice(DATE_DIGITS);
    let typed = date;
    let rest = "_".repeat(DATE_DIGITS - date.length);
    if (date.length === DATE_DIGITS) {
      typed += `-${seq}`;
      rest = "_".repeat(Math.max(SEQ_MIN - seq.length, 0));
    } else {
      rest += `-${"_".repeat(SEQ_MIN)}`;
    }
    $("case-typed").textContent = typed;
    $("case-rest").textContent = rest;
    $("case-ok").disabled = !prefix; // too few digits: a tap says what is missing
  }

  async function open() {
    digits = "";
    code = "";
    step = "number";
    draw();
    show("case", T.sayCase);
    if (prefix) return;
    try {
      prefix = (await api("GET", prefixUrl)).prefix;
    } catch (err) {
      fail(err.message);
      home();
      return;
    }
    draw();
  }

  function press(key) {
    if (step === "code") {
      if (key === "del" && !code) step = "number"; // back to the number, as typed
      else if (key === "del") code = code.slice(0, -1);
      else if (key === "clear") code = "";
      else if (/^\d$/.test(key) && code.length < CODE_DIGITS) code += key;
      return draw();
    }
    if (key === "del") digits = digits.slice(0, -1);
    else if (key === "clear") digits = "";
    else if (/^\d$/.test(key) && digits.length < MAX_DIGITS) digits += key;
    draw();
  }

  async function lookUp() {
    if (digits.length < DATE_DIGITS + SEQ_MIN) return fail(T.caseShort);
    if (step === "number") {
      step = "code";
      code = "";
      draw();
      return speak(T.sayCaseCode);
    }
    if (code.length < CODE_DIGITS) return fail(T.caseCodeShort);
    const wanted = number();
    const button = $("case-ok");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      showCase(await api("GET", `/api/v1/cases/${encodeURIComponent(wanted)}`
                                + `?code=${encodeURIComponent(code)}`));
    } catch (err) {
      if (err.status === 404) step = "number"; // the number as typed, to check both again
      code = "";
      fail(err.status === 404 ? fill(T.caseUnknown, { number: wanted }) : err.message);
    } finally {
      button.removeAttribute("aria-busy");
      draw();
    }
  }

  function showCase(found) {
    const closed = found.state === "done" || found.state === "returned";
    const urgency = closed ? "closed" : found.urgency || "normal";
    const due = day(found.due_date);
    const card = $("case-card");
    card.dataset.state = found.state;
    card.dataset.urgency = urgency;
    $("cr-number").textContent = found.number;
    $("cr-service").textContent = locale === "en" && found.service_en
      ? found.service_en : found.service;
    $("cr-state").textContent = T[STATES[found.state]] || found.state;
    $("cr-overdue").hidden = urgency !== "red";
    let timing;
    if (found.state === "done") timing = fill(T.caseCompleted, { day: day(found.done_on) });
    else if (found.state === "returned") timing = T.caseReturnedNote;
    else if (urgency === "red") timing = fill(T.caseLate, { day: due });
    else if (urgency === "yellow") timing = fill(T.caseSoon, { day: due });
    else timing = fill(T.caseOnSchedule, { day: due });
    $("cr-timing").textContent = timing;
    const facts = [[T.caseAcceptedOn, day(found.accepted_on)], [T.caseDueDate, due]];
    if (found.done_on) {
      facts.push([found.state === "done" ? T.caseCompletedOn : T.caseReturnedOn,
                  day(found.done_on)]);
    }
    $("cr-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", "", k),
                                                                 el("dd", "", v)]));
    show("case-result");
    const stop = locale === "en" ? ". " : "。";
    const overdue = urgency === "red" ? `${T.caseOverdue}${stop}` : "";
    speak(`${$("cr-service").textContent}${stop}${$("cr-state").textContent}${stop}`
          + `${overdue}${timing}`);
  }

  $("case-pad").addEventListener("click", (ev) => {
    const key = ev.target.closest("[data-key]");
    if (key) press(key.dataset.key);
  });
  $("case-ok").addEventListener("click", lookUp);
  $("cr-again").addEventListener("click", open);
  return { open };
}
