// 短信提醒 at the kiosk (issue 21): after taking a number the visitor may type a mobile
// number on the keypad; the hall texts it when few are ahead and when the number is called
// (POST /api/v1/tickets/<token>/notify, the same call as the ticket's phone page). Offered
// only when the hall sends texts (the catalog's ``notify.sms``) and the ticket waits.
import { bindPad, entryValue, fill, resetEntry } from "../kiosk-lib.js";

const PHONE = /^1[3-9]\d{9}$/;

export function notifyEntry({ api, show, fail, speak, strings: T, catalog, ticket }) {
  const $ = (id) => document.getElementById(id);
  const entry = $("phone-entry");
  const status = $("r-notify-status");

  function offer(t) {
    const notify = (catalog() || {}).notify || {};
    $("r-notify").hidden = !(notify.sms && t && t.state === "waiting");
    status.textContent = "";
  }

  function open() {
    const notify = (catalog() || {}).notify || {};
    resetEntry(entry);
    $("phone-hint").textContent = fill(T.notifyHint, { n: notify.ahead });
    show("phone", T.notifyHintSay);
  }

  async function confirm() {
    const phone = entryValue(entry);
    if (!PHONE.test(phone)) return fail(T.phoneInvalid, "phone");
    show("busy");
    try {
      const t = ticket();
      const answer = await api("POST", `/api/v1/tickets/${encodeURIComponent(t.token)}/notify`,
                               { channel: "sms", phone });
      show("result");
      $("r-notify").hidden = true;
      status.textContent = fill(T.notifyDone, { phone: answer.masked });
      speak(status.textContent);
    } catch (err) {
      fail(err.message, "phone");
    }
  }

  bindPad($("phone-pad"), entry, 11, (value, k) => /\d/.test(k));
  $("r-notify").addEventListener("click", open);
  $("phone-ok").addEventListener("click", confirm);
  $("phone-back").addEventListener("click", () => show("result"));
  return { offer };
}
