// 催办 and 效能告诫 from the supervisors' pages (the board, the cases page, the follow-ups
// page): what to ask the supervisor — window.prompt, as the case clock's commands do — and
// the one POST each (POST /api/v1/urgings, POST /api/v1/admonitions). `S(name)` reads the
// page's strings: ask-urge, ask-level, ask-admonition-reason.
const LEVELS = ["reminder", "admonition", "criticism"]; // 提醒, 告诫, 通报批评

// the note of an urging, or null when the supervisor cancelled or left it empty
export function askUrge(S, suggested = "") {
  const note = window.prompt(S("ask-urge"), suggested);
  return note && note.trim() ? note.trim() : null;
}

// { level, reason } of an admonition, or null when cancelled
export function askAdmonition(S) {
  const level = LEVELS[Number(window.prompt(S("ask-level"), "1")) - 1];
  if (!level) return null;
  const reason = window.prompt(S("ask-admonition-reason"));
  return reason && reason.trim() ? { level, reason: reason.trim() } : null;
}

// urge a window ({ counter_id }) or a case ({ case_number }); the urging as answered
export function urge(api, target, note) {
  return api.post("/api/v1/urgings", { ...target, note });
}

// an admonition against { staff_id } or { department_id }, with the evidence it comes from
// ({ evidence_kind: "alert" | "rating" | "case" | "complaint", evidence_ref }) if any
export function admonish(api, target, asked, evidence = {}) {
  return api.post("/api/v1/admonitions", { ...target, ...asked, ...evidence });
}
