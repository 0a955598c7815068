// Booking page (预约): walks department → service → day → slot → phone through the public
// appointment API, shows the code; "my appointment" looks one up and cancels it.
// The page's data and strings come in data-* attributes (no inline script: CSP).

const body = document.body;
const S = document.getElementById('strings').dataset;
const API = body.dataset.api; // /api/v1/appointments
const HALL = body.dataset.hall;
const LOCALE = body.dataset.locale; // zh_CN | en: API messages in the page's language
const LANG = body.dataset.lang; // zh-CN | en: dates
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(message, field) { super(message); this.field = field; }
}

async function call(method, path, payload) {
  const url = new URL(API + path, location.origin);
  url.searchParams.set('lang', LOCALE);
  if (method === 'GET' && path.startsWith('/slots')) url.searchParams.set('hall', HALL);
  let response;
  try {
    response = await fetch(url, {
      method, credentials: 'omit', // a visitor's request: never a staff session
      headers: payload ? {'Content-Type': 'application/json'} : {},
      body: payload ? JSON.stringify(payload) : undefined,
    });
  } catch (e) {
    throw new ApiError(S.offline);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(data?.error?.message || S.offline, data?.error?.field);
  return data;
}

// --- steps -------------------------------------------------------------------------------

const trail = []; // steps shown, for "Back"
const choice = {};

function show(id, remember = true) {
  const current = document.querySelector('.b-step:not([hidden])');
  if (remember && current && current.id !== id) trail.push(current.id);
  for (const step of document.querySelectorAll('.b-step')) step.hidden = step.id !== id;
  hideError();
  window.scrollTo(0, 0);
}

function back() {
  const previous = trail.pop();
  if (previous) show(previous, false);
}

function showError(message) {
  const el = $('b-error');
  el.textContent = message;
  el.hidden = false;
  el.scrollIntoView({block: 'nearest'});
}

function hideError() { $('b-error').hidden = true; }

function crumbs(text) {
  for (const el of document.querySelectorAll('[data-crumb]')) el.textContent = text;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? '');
}

const hhmm = (iso) => iso.slice(11, 16); // the API's times are in the hall's zone
const dayLabel = (isoDay) => new Intl.DateTimeFormat(LANG, {
  month: 'short', day: 'numeric', weekday: 'short', timeZone: 'UTC',
}).format(new Date(isoDay + 'T00:00:00Z'));

function button(label, sub, onClick, disabled = false) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'b-choice';
  b.textContent = label;
  if (sub) {
    const s = document.createElement('span');
    s.className = 'b-sub';
    s.textContent = sub;
    b.append(s);
  }
  b.disabled = disabled;
  b.addEventListener('click', onClick);
  return b;
}

for (const b of document.querySelectorAll('[data-dept]')) {
  b.addEventListener('click', () => show(`step-svc-${b.dataset.dept}`));
}

for (const b of document.querySelectorAll('[data-service]')) {
  b.addEventListener('click', () => {
    Object.assign(choice, {service: b.dataset.service, name: b.dataset.name,
                           needsId: b.dataset.needsId === '1'});
    crumbs(choice.name);
    const days = $('days');
    days.replaceChildren(...b.dataset.days.split(' ').filter(Boolean).map(
      (d) => button(dayLabel(d), '', () => pickDay(d))));
    show('step-day');
  });
}

async function pickDay(day) {
  choice.day = day;
  let data;
  try {
    data = await call('GET', `/slots?service=${encodeURIComponent(choice.service)}&day=${day}`);
  } catch (e) {
    showError(e.message);
    return;
  }
  const slots = $('slots');
  const open = data.slots.filter((s) => s.remaining > 0);
  slots.replaceChildren(...data.slots.map((s) => button(
    `${hhmm(s.start)}–${hhmm(s.end)}`,
    s.remaining > 0 ? fill(S.left, {n: s.remaining}) : S.full,
    () => pickSlot(s), s.remaining <= 0)));
  if (!open.length) {
    const p = document.createElement('p');
    p.className = 'b-hint';
    p.textContent = S.noSlots;
    slots.append(p);
  }
  crumbs(`${choice.name} · ${dayLabel(day)}`);
  show('step-slot');
}

function pickSlot(slot) {
  choice.slot = slot;
  crumbs(`${choice.name} · ${dayLabel(choice.day)} ${hhmm(slot.start)}–${hhmm(slot.end)}`);
  $('id-field').hidden = !choice.needsId;
  show('step-form');
  $('phone').focus();
}

const PHONE = /^(\+?86)?1[3-9]\d{9}$/;
const ID = /^\d{17}[\dXx]$/;
const plainPhone = (v) => v.replace(/[\s\-()]/g, '');

$('book-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const phone = plainPhone($('phone').value);
  const id = $('id_number').value.trim();
  const name = $('name').value.trim();
  const title = $('title').value;
  if (!PHONE.test(phone)) return showError(S.phoneInvalid);
  if (choice.needsId && id && !ID.test(id)) return showError(S.idInvalid);
  const submit = $('book-submit');
  submit.disabled = true;
  try {
    const appt = await call('POST', '', {
      service: choice.service, start: choice.slot.start, phone, hall: HALL,
      notify: $('notify').checked,
      ...(choice.needsId && id ? {id_number: id} : {}),
      ...(name ? {name, ...(title ? {title} : {})} : {}),
    });
    booked(appt);
  } catch (e) {
    showError(e.message);
    if (e.field === 'start') pickDay(choice.day); // taken meanwhile: show the places left
  } finally {
    submit.disabled = false;
  }
});

function booked(appt) {
  $('done-code').textContent = appt.code;
  $('done-what').textContent = choice.name;
  $('done-when').textContent =
    `${dayLabel(appt.start.slice(0, 10))} ${hhmm(appt.start)}–${hhmm(appt.end)}`;
  $('done-window').textContent = fill(S.window, {from: hhmm(appt.check_in.from),
                                                 until: hhmm(appt.check_in.until)});
  $('book-form').reset();
  trail.length = 0;
  show('step-done', false);
}

$('book-another').addEventListener('click', () => { trail.length = 0; show('step-dept', false); });
for (const b of document.querySelectorAll('.b-back')) b.addEventListener('click', back);

// --- tabs and "my appointment" -------------------------------------------------------------

function tab(mine) {
  $('tab-book').setAttribute('aria-pressed', String(!mine));
  $('tab-mine').setAttribute('aria-pressed', String(mine));
  trail.length = 0;
  show(mine ? 'step-mine' : 'step-dept', false);
}

$('tab-book').addEventListener('click', () => tab(false));
$('tab-mine').addEventListener('click', () => tab(true));

let mine = null; // {code, phone} of the appointment shown

$('mine-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const code = $('mine-code').value.trim();
  const phone = plainPhone($('mine-phone').value);
  if (!code) return showError(S.codeMissing);
  if (!PHONE.test(phone)) return showError(S.phoneInvalid);
  hideError();
  try {
    showMine(await call('GET', `/${encodeURIComponent(code)}`), phone);
  } catch (e) {
    $('mine-result').hidden = true;
    showError(e.message);
  }
});

function showMine(appt, phone, note = '') {
  mine = {code: appt.code, phone};
  $('mine-code-shown').textContent = appt.code;
  const service = LANG === 'en' && appt.service.name_en ? appt.service.name_en : appt.service.name;
  $('mine-what').textContent = service;
  $('mine-when').textContent =
    `${dayLabel(appt.start.slice(0, 10))} ${hhmm(appt.start)}–${hhmm(appt.end)}`;
  $('mine-phone-shown').textContent = appt.phone;
  const states = {booked: S.stateBooked, checked_in: S.stateChecked_in,
                  cancelled: S.stateCancelled};
  $('mine-state').textContent = states[appt.state] || appt.state;
  $('mine-note').textContent = note || (appt.state === 'booked'
    ? fill(S.window, {from: hhmm(appt.check_in.from), until: hhmm(appt.check_in.until)}) : '');
  $('mine-note').hidden = !$('mine-note').textContent;
  const cancel = $('mine-cancel');
  cancel.hidden = appt.state !== 'booked';
  cancel.dataset.armed = '';
  cancel.classList.remove('armed');
  $('mine-result').hidden = false;
}

$('mine-cancel').addEventListener('click', async () => {
  const cancel = $('mine-cancel');
  if (!cancel.dataset.armed) { // a second tap confirms: no dialog box on a small phone
    cancel.dataset.armed = '1';
    cancel.classList.add('armed');
    $('mine-note').textContent = S.cancelConfirm;
    $('mine-note').hidden = false;
    return;
  }
  try {
    const appt = await call('POST', '/cancel', {code: mine.code, phone: mine.phone});
    showMine(appt, mine.phone, S.cancelled);
  } catch (e) {
    showError(e.message);
  }
});

const wanted = new URLSearchParams(location.search).get('code');
if (wanted) { // a link such as /book?code=K7M2P9QX opens "my appointment"
  tab(true);
  $('mine-code').value = wanted;
}
body.dataset.ready = '1';
