// The terminal's small forms (native <dialog>s): finish with an outcome, transfer, call a
// number, hold, pause. Each collects its fields, checks what the visitor would otherwise be
// sent back for, and hands a request body to the terminal; the server has the last word.
import { fill } from "/display/static/hall-live.js";
import { T } from "./render.js";

const $ = (id) => document.getElementById(id);
const OUTCOMES = ["done", "accepted", "correction", "refused", "inquiry"];

function option(value, label) {
  const o = document.createElement("option");
  o.value = String(value);
  o.textContent = label;
  return o;
}

function lines(value) {
  return value.split(/\r?\n|[;；]/).map((s) => s.trim()).filter(Boolean);
}

export class Forms {
  constructor(handlers) {
    this.handlers = handlers;
    this.board = null;
    for (const dialog of document.querySelectorAll("dialog.ct-dialog")) {
      for (const b of dialog.querySelectorAll("[data-close]")) {
        b.addEventListener("click", () => dialog.close());
      }
    }
    for (const radio of document.querySelectorAll("#finish-form input[name=outcome]")) {
      radio.addEventListener("change", () => this.showOutcome());
    }
    for (const radio of document.querySelectorAll("#transfer-form input[name=transfer-to]")) {
      radio.addEventListener("change", () => this.showTarget());
    }
    $("transfer-service").addEventListener("focus", () => { $("transfer-to-service").checked = true; this.showTarget(); });
    $("transfer-counter").addEventListener("focus", () => { $("transfer-to-counter").checked = true; this.showTarget(); });
    this.bind("finish-form", () => this.finish());
    this.bind("transfer-form", () => this.transfer());
    this.bind("call-form", () => this.send("call", "dlg-call", { number: $("call-number").value.trim() }));
    this.bind("hold-form", () => this.send("hold", "dlg-hold", { note: $("hold-note").value.trim() || null }));
    this.bind("pause-form", () => this.send("pause", "dlg-pause", { reason: $("pause-reason").value }));
  }

  bind(formId, submit) {
    $(formId).addEventListener("submit", (e) => {
      e.preventDefault();
      submit();
    });
  }

  // the choices every form offers, from the latest board
  options(board) {
    this.board = board;
    const keep = (select, options) => {
      const was = select.value;
      select.replaceChildren(...options);
      if ([...select.options].some((o) => o.value === was)) select.value = was;
    };
    keep($("pause-reason"), board.pause_reasons.map((r) => option(r, r)));
    keep($("transfer-service"), board.services.map(
      (s) => option(s.id, `${s.prefix} · ${this.handlers.serviceName(s)}`)));
    keep($("transfer-counter"), board.counters.filter((c) => c.id !== board.counter.id).map(
      (c) => option(c.number, fill(T.counterOption, { counter: c.number, name: c.name })
        + (c.state === "closed" ? ` · ${T.closedWindow}` : ""))));
  }

  open(name, board) {
    const cur = board && board.current;
    if (name === "finish") this.prepareFinish(cur);
    if (name === "transfer") {
      $("transfer-number").textContent = cur ? cur.number : "";
      $("transfer-note").value = "";
      this.showTarget();
    }
    if (name === "hold") {
      $("hold-number").textContent = cur ? cur.number : "";
      $("hold-note").value = "";
    }
    if (name === "call") $("call-number").value = "";
    $(`dlg-${name}`).showModal();
    const first = { finish: "outcome-done", transfer: "transfer-service", call: "call-number",
                    hold: "hold-note", pause: "pause-reason" }[name];
    $(first).focus();
  }

  prepareFinish(cur) {
    $("finish-number").textContent = cur ? cur.number : "";
    $("outcome-done").checked = true;
    for (const id of ["finish-applicant", "finish-other", "finish-reason", "finish-note",
                      "finish-fee"]) $(id).value = "";
    const materials = (cur && cur.service.materials) || [];
    $("finish-materials").replaceChildren(...materials.map((m, i) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = m;
      box.id = `material-${i}`;
      label.append(box, ` ${m}`);
      return label;
    }));
    this.service = cur ? this.handlers.serviceName(cur.service) : "";
    this.showOutcome();
  }

  outcome() {
    const checked = document.querySelector("#finish-form input[name=outcome]:checked");
    return checked ? checked.value : "done";
  }

  showOutcome() {
    const outcome = this.outcome();
    for (const part of document.querySelectorAll("#finish-form [data-for]")) {
      part.hidden = !part.dataset.for.split(" ").includes(outcome);
    }
  }

  showTarget() {
    const toService = $("transfer-to-service").checked;
    $("transfer-service").classList.toggle("ct-off", !toService);
    $("transfer-counter").classList.toggle("ct-off", toService);
  }

  // keys inside an open form: 1–5 pick the outcome (unless typing)
  key(e) {
    const dialog = $("dlg-finish");
    if (!dialog.open || e.target.closest("input[type=text], input:not([type]), textarea, input[type=number]")) return;
    const n = Number(e.key);
    if (n >= 1 && n <= OUTCOMES.length) {
      e.preventDefault();
      $(`outcome-${OUTCOMES[n - 1]}`).checked = true;
      this.showOutcome();
    }
  }

  // the form closes the moment the server says yes (before the page has redrawn), so a key
  // pressed next goes to the terminal, not to a form that is about to close
  send(name, dialogId, payload, extra = {}) {
    return this.handlers[name](payload, { ...extra, close: () => $(dialogId).close() });
  }

  finish() {
    const outcome = this.outcome();
    const payload = { outcome };
    let missing = [];
    if (outcome === "correction") {
      const ticked = [...document.querySelectorAll("#finish-materials input:checked")].map((b) => b.value);
      missing = [...ticked, ...lines($("finish-other").value)];
      if (!missing.length) return this.handlers.say(T.chooseMaterial);
      payload.note = missing.join("\n");
    } else if (outcome === "refused") {
      payload.note = $("finish-reason").value.trim();
      if (!payload.note) return this.handlers.say(T.reasonNeeded);
    } else {
      payload.note = $("finish-note").value.trim() || null;
    }
    if (outcome === "accepted") payload.applicant = $("finish-applicant").value.trim() || null;
    const fee = Number.parseFloat($("finish-fee").value);
    if (["done", "accepted"].includes(outcome) && Number.isFinite(fee) && fee > 0) {
      payload.fee_cents = Math.round(fee * 100);
    }
    return this.send("finish", "dlg-finish", payload, { missing, service: this.service });
  }

  transfer() {
    const toService = $("transfer-to-service").checked;
    const note = $("transfer-note").value.trim() || null;
    const value = toService ? $("transfer-service").value : $("transfer-counter").value;
    if (!value) return this.handlers.say(T.targetNeeded);
    const payload = toService ? { to_service: Number(value), note }
                              : { to_counter: Number(value), note };
    return this.send("transfer", "dlg-transfer", payload);
  }
}
