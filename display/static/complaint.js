// 投诉建议 on a visitor's phone pages (issue 19): file one (the ticket's page, the case's
// page), and answer a reply, satisfied or not (the ticket's page, the complaint's own page
// /complaint/<token>). The page then shows the complaint as the server keeps it: reloaded,
// or, where the box names one (data-page-url), the complaint's own page.
const box = document.getElementById("t-complaints");

async function post(url, body) {
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((data.error && data.error.message) || String(r.status));
  return data;
}

function filed(form) {
  const f = form.elements;
  const phone = f.phone ? f.phone.value.trim() : "";
  const anonymous = Boolean(f.anonymous && f.anonymous.checked);
  return {text: f.text.value,
          ...(f.category && f.category.value ? {category: f.category.value} : {}),
          ...(phone && !anonymous ? {phone} : {}),
          ...(anonymous ? {anonymous} : {})};
}

if (box) {
  const form = document.getElementById("t-complaint-form");
  if (form) {
    const result = form.querySelector(".t-complaint-result");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const made = await post(box.dataset.fileUrl, filed(form));
        if (box.dataset.pageUrl) location.assign(box.dataset.pageUrl.replace("TOKEN", made.token));
        else location.reload();
      } catch (err) {
        result.textContent = err.message;
        button.disabled = false;
      }
    });
  }
  box.querySelectorAll("[data-satisfied]").forEach((button) => {
    button.addEventListener("click", async () => {
      const item = button.closest("[data-token]");
      const url = box.dataset.answerUrl.replace("TOKEN", item.dataset.token);
      try {
        await post(url, {satisfied: button.dataset.satisfied === "1"});
        location.reload();
      } catch (err) {
        item.querySelector(".t-complaint-ask").textContent = err.message;
      }
    });
  });
}
