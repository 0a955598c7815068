// The configuration console's forms: reading controls as the API's JSON wants them, and
// showing the API's refusals next to the field each one names (the 422 body lists every
// problem as {field, message}; a 409/404 names one field).

export function control(form, name) {
  return form.elements.namedItem(name);
}

export function setValue(form, name, value) {
  const el = control(form, name);
  if (el.type === "checkbox") el.checked = Boolean(value);
  else if (el.tagName === "TEXTAREA" && Array.isArray(value)) el.value = value.join("\n");
  else el.value = value ?? "";
}

export const read = {
  text: (form, name) => control(form, name).value.trim(),
  // empty means "not set" (JSON null) for optional text
  optionalText: (form, name) => control(form, name).value.trim() || null,
  // empty means null; anything else goes as typed, so the API names what is wrong with it
  int: (form, name) => {
    const raw = control(form, name).value.trim();
    return raw === "" ? null : Number(raw);
  },
  lines: (form, name) => control(form, name).value.split("\n").map((s) => s.trim())
    .filter(Boolean),
  checked: (form, name) => control(form, name).checked,
};

// "materials.3" → the materials field; "booking.capacity" → its own field; a check across
// fields ("warning_minutes must be below time_limit_minutes", reported for the whole body)
// goes to the field its message starts with.
function boxFor(form, path, message) {
  const parts = (path || "").split(".");
  while (parts.length) {
    const box = form.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
    if (box) return box;
    parts.pop();
  }
  const first = /^([a-z_]+)\b/.exec(message || "");
  return first ? form.querySelector(`[data-field="${CSS.escape(first[1])}"]`) : null;
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll(".cf-error")) p.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const general = form.querySelector(".cf-form-error");
  if (general) general.textContent = "";
}

const clean = (message) => String(message || "").replace(/^Value error, /, "");

// Shows each problem beside its field, focuses the first such field; what names no field
// goes to the form's own error line. ``err`` is what ``call`` throws.
export function showErrors(form, err) {
  clearErrors(form);
  const problems = err.details && err.details.length
    ? err.details.map((d) => ({ field: d.field, message: clean(d.message) }))
    : [{ field: err.field, message: err.message }];
  const general = [];
  let first = null;
  for (const p of problems) {
    const box = boxFor(form, p.field, p.message);
    const slot = box && box.querySelector(".cf-error");
    if (!slot) {
      general.push(p.message);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${p.message}` : p.message;
    const input = box.querySelector("input, select, textarea");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  const line = form.querySelector(".cf-form-error");
  if (line) line.textContent = general.join("; ");
  if (first) first.focus();
}
