// Does this page fit its window? Run by tests/e2e/test_layouts.py in the page (Playwright's
// page.evaluate); returns what is wrong, in words, or nothing.
//
// - the page scrolls, sideways or down (every room is exactly its window; what is longer
//   scrolls inside its own box: the kiosk's guide, the terminal's and the board's columns);
// - a box sticks out of the window (the part of it left visible by the boxes that clip or
//   scroll it; told once, for the outermost);
// - a box with hidden overflow cuts its content, unless it ends in "…" (text-overflow or
//   line-clamp) and carries the whole text as its title; `exempt` selectors may (a ticker);
// - a label (`labels` selectors: "12 号窗口", a ticket number, a face's caption) is broken
//   over two lines or not shown whole: lines are counted from its text's line boxes.
({ labels, exempt }) => {
  const W = innerWidth;
  const H = innerHeight;
  const out = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > W + 1) out.push(`the page scrolls sideways (${page.scrollWidth} > ${W})`);
  if (page.scrollHeight > H + 1) out.push(`the page scrolls (${page.scrollHeight} > ${H})`);

  const name = (e) => {
    let s = e.id ? `#${e.id}` : e.tagName.toLowerCase();
    if (!e.id && typeof e.className === "string" && e.className.trim()) {
      s += `.${e.className.trim().split(/\s+/).join(".")}`;
    }
    const words = (e.textContent || "").trim().replace(/\s+/g, " ");
    return words ? `${s} "${words.slice(0, 40)}"` : s;
  };
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const hidden = (v) => v === "hidden" || v === "clip";
  // the part of a box left visible by the ancestors that clip or scroll it
  const visibleBox = (e) => {
    const r = e.getBoundingClientRect();
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    if (getComputedStyle(e).position === "fixed") return [l, t, rt, b];
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== "visible" || s.overflowY !== "visible") {
        const c = a.getBoundingClientRect();
        [l, t, rt, b] = [Math.max(l, c.left), Math.max(t, c.top), Math.min(rt, c.right),
          Math.min(b, c.bottom)];
      }
      if (s.position === "fixed") break;
    }
    return [l, t, rt, b];
  };

  const outside = new Set();
  const inside = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) if (outside.has(a)) return true;
    return false;
  };
  for (const e of document.body.querySelectorAll("*")) {
    if (!shown(e) || (e.closest("svg") && e.tagName.toLowerCase() !== "svg")) continue;
    const [l, t, r, b] = visibleBox(e);
    if (r - l <= 0 || b - t <= 0) continue; // scrolled or clipped out of sight entirely
    if (r > W + 1 || l < -1 || b > H + 1 || t < -1) {
      if (!inside(e)) {
        out.push(`${name(e)} sticks out of the ${W}×${H} window ` +
                 `(${l | 0}…${r | 0}, ${t | 0}…${b | 0})`);
      }
      outside.add(e);
    }
    if (exempt.some((selector) => e.matches(selector))) continue;
    const s = getComputedStyle(e);
    const titled = Boolean(e.title) && e.title.trim() === e.textContent.trim();
    const clamped = s.webkitLineClamp && s.webkitLineClamp !== "none";
    if (hidden(s.overflowY) && e.scrollHeight > e.clientHeight + 1 && !(clamped && titled)) {
      out.push(clamped ? `${name(e)} ends in "…" without its whole text as its title`
        : `${name(e)} cuts its content (${e.scrollHeight} > ${e.clientHeight} high)`);
    }
    if (hidden(s.overflowX) && e.scrollWidth > e.clientWidth + 1 &&
        !(s.textOverflow === "ellipsis" && titled)) {
      out.push(s.textOverflow === "ellipsis"
        ? `${name(e)} ends in "…" without its whole text as its title`
        : `${name(e)} cuts its content (${e.scrollWidth} > ${e.clientWidth} wide)`);
    }
  }

  for (const selector of labels) {
    for (const e of document.querySelectorAll(selector)) {
      if (!shown(e) || !e.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(e);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0)
        .sort((x, y) => x.top - y.top);
      let lines = 0;
      let bottom = -Infinity;
      for (const r of boxes) { // a box below all the boxes before it starts a line
        if (r.top >= bottom - 1) lines += 1;
        bottom = Math.max(bottom, r.bottom);
      }
      if (lines > 1) out.push(`${name(e)} (${selector}) is broken over ${lines} lines`);
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).display !== "inline") {
        out.push(`${name(e)} (${selector}) is not shown whole`);
      }
    }
  }
  return out;
}
