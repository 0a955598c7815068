// 月通报: the print button (the page's print style hides everything but the bulletin).
const button = document.getElementById("print");
if (button) button.addEventListener("click", () => window.print());
