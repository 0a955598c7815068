// An alert in words: its kind's sentence from the page's #strings (data-kind-*, from
// hall/web/templates/web/alert_kinds.html) filled with what its payload names — the window,
// the visit's number, the device, the case, the people named. Used by the live board and the
// counter terminal. A payload's `who` (which kind of people it names) picks data-kind-<kind>-<who>
// where the page has one.
import { fill } from "/display/static/hall-live.js";

export function alertWords(a, strings, counterNumber = () => "") {
  const p = a.payload || {};
  const values = {
    service: p.service || "", waiting: p.waiting ?? "", reason: p.reason || "",
    counter: p.counter_number ?? (a.counter_id ? counterNumber(a.counter_id) : ""),
    number: p.number || "", device: p.device || (a.device_id ? `#${a.device_id}` : ""),
    rating: p.rating ?? "", case: p.case_number || "", due: p.due_date || "",
    id: p.followup_id ?? "", complaint: p.complaint_number || "",
    shift: p.shift_name || "", name: p.staff_name || "", department: p.department || "",
    names: (p.candidates || []).map((c) => c.name)
      .join(strings.getAttribute("data-list-separator") ?? ", "),
  };
  const variant = p.who && strings.getAttribute(`data-kind-${a.kind}-${p.who}`);
  const template = variant ?? strings.getAttribute(`data-kind-${a.kind}`);
  return template == null ? null : fill(template, values);
}
