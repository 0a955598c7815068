// /admin/staff: the hall's accounts; add one (its one-time password is shown once in a
// dialog), edit name, number and role, reset a password, deactivate, reactivate, unlock.
import {
  $, ApiError, T, call, confirmDialog, ds, el, fill, flash, when,
} from "./people-common.js";

const page = { staff: [], editing: null };
window.hallStaff = page;
const me = Number(ds.me);

function roleText(role) {
  return T[`role${role[0].toUpperCase()}${role.slice(1)}`] || role;
}

function stateBadges(s) {
  const out = [s.active ? el("span", { class: "badge badge-open" }, T.active)
    : el("span", { class: "badge badge-closed" }, T.inactive)];
  if (s.locked) out.push(el("span", { class: "badge badge-critical" }, T.locked));
  else if (s.failed_logins) out.push(el("small", {}, fill(T.failed, { n: s.failed_logins })));
  return out;
}

function button(label, cls, action) {
  return el("button", { type: "button", class: `small ${cls}`, onclick: action }, label);
}

function actions(s) {
  const cell = el("td", { class: "ppl-actions" });
  cell.append(button(T.edit, "edit secondary", () => openEdit(s)));
  cell.append(button(T.reset, "reset secondary", () => resetPassword(s)));
  if (s.locked || s.failed_logins) cell.append(button(T.unlock, "unlock", () => unlock(s)));
  if (s.id !== me) {
    cell.append(s.active ? button(T.deactivate, "deactivate danger", () => deactivate(s))
      : button(T.activate, "activate", () => change(s, "activate")));
  }
  return cell;
}

function departmentName(id) {
  const option = document.querySelector(`#edit-department option[data-id="${id}"]`);
  return option ? option.textContent : "";
}

function departmentCode(id) {
  const option = document.querySelector(`#edit-department option[data-id="${id}"]`);
  return option ? option.value : null;
}

function render() {
  const tbody = $("staff");
  tbody.replaceChildren(...page.staff.map((s) => el("tr", {
    id: `staff-${s.id}`, dataset: { login: s.login },
    class: `${s.active ? "" : "inactive"}${s.locked ? " locked" : ""}`,
  },
  el("td", { class: "login" }, s.login, s.id === me ? el("small", {}, T.you) : null),
  el("td", { class: "name" }, s.name),
  el("td", { class: "number" }, s.number),
  el("td", { class: "department" }, departmentName(s.department_id)),
  el("td", { class: "role" }, roleText(s.role)),
  el("td", { class: "state" }, ...stateBadges(s)),
  el("td", { class: "last-login" }, s.last_login_at ? when(s.last_login_at) : T.never),
  actions(s))));
  $("staff-count").textContent = fill(T.count, { n: page.staff.length });
}

async function load() {
  page.staff = (await call("GET", "/staff")).staff;
  render();
  document.body.dataset.loaded = String(Date.now());
}

function showPassword(reply) {
  $("password-login").textContent = `${reply.staff.name} (${reply.staff.login})`;
  $("password-value").textContent = reply.password;
  $("password-dialog").showModal();
}

function report(err, where = "staff-error") {
  $(where).textContent = err.message;
  if (!(err instanceof ApiError)) console.error(err);
}

async function create(event) {
  event.preventDefault();
  $("staff-error").textContent = "";
  const form = $("staff-form");
  const payload = {
    login: $("new-login").value.trim(), name: $("new-name").value.trim(),
    number: $("new-number").value.trim(), role: $("new-role").value,
    department: $("new-department").value || undefined,
  };
  try {
    const reply = await call("POST", "/staff", payload);
    form.reset();
    await load();
    showPassword(reply);
  } catch (err) {
    report(err);
    const field = { login: "new-login", name: "new-name", number: "new-number" }[err.field];
    if (field) $(field).focus();
  }
}

function openEdit(s) {
  page.editing = s;
  $("edit-title").textContent = `${s.name} (${s.login})`;
  $("edit-name").value = s.name;
  $("edit-number").value = s.number;
  $("edit-role").value = s.role;
  // the person's own department, or none: never the one last chosen for someone else
  $("edit-department").value = departmentCode(s.department_id) || "";
  $("edit-photo").hidden = !s.has_photo;
  if (s.has_photo) $("edit-photo").src = `/api/v1/admin/staff/${s.id}/photo?v=${Date.now()}`;
  $("edit-photo-file").value = "";
  $("edit-error").textContent = "";
  $("edit-dialog").showModal();
}

async function saveEdit(event) {
  event.preventDefault();
  const s = page.editing;
  try {
    await call("PUT", `/staff/${s.id}`, {
      name: $("edit-name").value.trim(), number: $("edit-number").value.trim(),
      role: $("edit-role").value, department: $("edit-department").value || undefined,
    });
    const file = $("edit-photo-file").files[0];
    if (file) await call("PUT", `/staff/${s.id}/photo`, { photo: await asBase64(file) });
    $("edit-dialog").close();
    flash(T.saved);
    await load();
  } catch (err) {
    report(err, "edit-error");
  }
}

function asBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function removePhoto() {
  const s = page.editing;
  try {
    await call("DELETE", `/staff/${s.id}/photo`);
    $("edit-photo").hidden = true;
    flash(T.saved);
    await load();
  } catch (err) {
    report(err, "edit-error");
  }
}

async function change(s, path) {
  $("staff-error").textContent = "";
  try {
    const reply = await call("POST", `/staff/${s.id}/${path}`);
    if (reply.password) {
      // a reset of one's own password ends this session too: sign in again afterwards
      page.reloadOnClose = s.id === me;
      showPassword(reply);
    } else {
      flash(T.saved);
    }
    if (!page.reloadOnClose) await load();
  } catch (err) {
    report(err);
  }
}

async function resetPassword(s) {
  if (await confirmDialog(fill(T.confirmReset, { name: s.name }))) await change(s, "reset-password");
}

async function deactivate(s) {
  if (await confirmDialog(fill(T.confirmDeactivate, { name: s.name }))) await change(s, "deactivate");
}

const unlock = (s) => change(s, "unlock");

function wire() {
  $("staff-form").addEventListener("submit", create);
  $("edit-form").addEventListener("submit", saveEdit);
  $("edit-cancel").addEventListener("click", () => $("edit-dialog").close());
  $("edit-photo-remove").addEventListener("click", removePhoto);
  $("password-close").addEventListener("click", () => {
    $("password-value").textContent = ""; // gone from the page once closed
    $("password-dialog").close();
  });
  $("password-dialog").addEventListener("close", () => {
    $("password-value").textContent = "";
    if (page.reloadOnClose) window.location.reload();
  });
  $("password-copy").addEventListener("click", () => {
    navigator.clipboard?.writeText($("password-value").textContent).catch(() => {});
  });
}

wire();
load().catch((err) => report(err));
