// 催办 and 效能告诫 on the window's terminal: they stay until the window answers an urging
// (POST /api/v1/urgings/<id>/ack) or the person acknowledges an admonition
// (POST /api/v1/admonitions/<id>/ack); new ones arrive live as `urge` / `admonition` events.
import { fill, text } from "/display/static/hall-live.js";

const $ = (id) => document.getElementById(id);
const W = () => $("t-supervised").dataset;

function item(cls, words, input, label, onClick) {
  const li = document.createElement("li");
  li.className = cls;
  const span = document.createElement("span");
  text(span, words);
  li.append(span);
  if (input) li.append(input);
  const b = document.createElement("button");
  b.type = "button";
  b.className = "ct-link";
  b.textContent = label;
  b.addEventListener("click", onClick);
  li.append(b);
  return li;
}

export function renderSupervised(urgings, admonitions, meId, { answer, acknowledge }) {
  const w = W();
  const open = admonitions.filter((a) => a.staff_id === meId && !a.acked_at && !a.withdrawn_at);
  const rows = urgings.map((u) => {
    const input = document.createElement("input");
    input.maxLength = 1000;
    input.placeholder = w.answer;
    const words = fill(u.case_number ? w.urgeCase : w.urge, { case: u.case_number || "",
                                                             note: u.note });
    return item("ct-alert critical ct-urge", words, input, w.send,
                () => answer(u, input.value));
  }).concat(open.map((a) => item("ct-alert warning ct-admonition",
    fill(w.admonition, { level: w[`level-${a.level}`] || a.level, reason: a.reason }), null,
    w.acknowledge, () => acknowledge(a))));
  $("t-supervised").hidden = rows.length === 0;
  $("t-supervised-list").replaceChildren(...rows);
}
