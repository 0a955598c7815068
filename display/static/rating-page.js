// 好差评 from the ticket's phone page (issue 19): the visit rated later, within the hall's
// days, or the 办结 of the case it accepted once that is concluded. One POST to
// /api/v1/tickets/<token>/phone-rating; a refusal (already rated at the pad, the days over,
// a reason missing) is shown in place, in the server's words.
const box = document.getElementById("t-rate");

function level(form) {
  return Number(form.elements.level.value) || 0;
}

function body(form) {
  const f = form.elements;
  const low = level(form) <= Number(box.dataset.bad);
  const dimensions = {};
  for (const select of form.querySelectorAll("[data-dimension]")) {
    if (select.value) dimensions[select.dataset.dimension] = Number(select.value);
  }
  const comment = f.comment.value.trim();
  return {level: level(form),
          ...(low && f.reason.value ? {reason: f.reason.value} : {}),
          ...(comment ? {comment} : {}),
          ...(Object.keys(dimensions).length ? {dimensions} : {})};
}

if (box) {
  const form = document.getElementById("t-rate-form");
  const result = form.querySelector(".t-rate-result");
  const reason = form.querySelector(".t-rate-reason");
  form.addEventListener("change", () => {
    reason.hidden = !(level(form) && level(form) <= Number(box.dataset.bad));
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const r = await fetch(box.dataset.url, {method: "POST",
                                              headers: {"Content-Type": "application/json"},
                                              body: JSON.stringify(body(form))});
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error((data.error && data.error.message) || String(r.status));
      form.hidden = true;
      box.querySelector(".t-rate-done").hidden = false;
    } catch (err) {
      result.textContent = err.message;
      button.disabled = false;
    }
  });
}
