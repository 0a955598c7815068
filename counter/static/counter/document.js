// The visitor's paper as a page (/counter/documents/<ticket id>): a Print button, and with
// ?print=1 (the terminal's 打印) the browser's print dialog as soon as the page, its font
// and its QR code have drawn.
const body = document.body;
const button = document.getElementById("doc-print");

if (button) button.addEventListener("click", () => window.print());

async function printOnce() {
  await document.fonts.ready;
  const qr = document.getElementById("doc-qr");
  if (qr && !qr.complete) await new Promise((done) => qr.addEventListener("load", done, { once: true }));
  body.dataset.printed = "1";
  window.print();
}

if (button && body.dataset.autoprint === "1") printOnce();
