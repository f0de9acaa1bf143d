// Plain SVG charts for the organizers' dashboard: vertical bars with an optional line, and
// horizontal bars. No library; text goes in with textContent. Each chart is one <svg role="img">
// whose aria-label says what it shows; the numbers are in the tables beside it too.
const Charts = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const fmt = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(width, height, label) {
    const root = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" });
    root.appendChild(el("title", {}, label));
    return root;
  }
  function niceMax(x) {
    if (!(x > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x))), m = x / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  // points: [{label, value, line?}] → bars of `value`, and a line of `line` when given.
  function columns(host, points, { label, height = 260, barClass = "bar", lineClass = "line" } = {}) {
    // Drawn at the host's own width so the type stays at its CSS size on a phone and a projector.
    const width = Math.max(host.clientWidth || 900, 560, points.length * 28), left = 48, bottom = 40, top = 12;
    const max = niceMax(Math.max(0, ...points.map((p) => Math.max(p.value, p.line || 0))));
    const plotH = height - top - bottom, step = (width - left - 8) / Math.max(1, points.length);
    const root = svg(width, height, label);
    for (let i = 0; i <= 4; i += 1) {
      const y = top + plotH - (plotH * i) / 4;
      root.appendChild(el("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }));
      root.appendChild(el("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, fmt.format((max * i) / 4)));
    }
    const every = Math.ceil(points.length / 16);  // at most ~16 labels under the axis
    const line = [];
    points.forEach((p, i) => {
      const h = (plotH * p.value) / max, x = left + i * step;
      const bar = el("rect", { x: x + step * 0.15, y: top + plotH - h, width: step * 0.7, height: Math.max(0, h), class: barClass });
      bar.appendChild(el("title", {}, `${p.label}: ${fmt.format(p.value)}`));
      root.appendChild(bar);
      if (i % every === 0) root.appendChild(el("text", { x: x + step / 2, y: height - bottom + 16, class: "axis", "text-anchor": "middle" }, p.label));
      if (p.line !== undefined) line.push(`${x + step / 2},${top + plotH - (plotH * p.line) / max}`);
    });
    if (line.length) root.appendChild(el("polyline", { points: line.join(" "), class: lineClass }));
    host.replaceChildren(root);
    return root;
  }

  // rows: [{label, value, text?, cls?}] → one horizontal bar per row, value text at its end.
  function rows(host, items, { label, max, rowH = 26, labelW = 230 } = {}) {
    const width = Math.max(host.clientWidth || 900, 560), height = items.length * rowH + 8;
    const top = max || niceMax(Math.max(0, ...items.map((r) => r.value)));
    const plotW = width - labelW - 90;
    const root = svg(width, height, label);
    items.forEach((r, i) => {
      const y = 4 + i * rowH, w = (plotW * Math.max(0, r.value)) / top;
      root.appendChild(el("text", { x: labelW - 8, y: y + rowH * 0.65, class: "label", "text-anchor": "end" }, r.label));
      const bar = el("rect", { x: labelW, y: y + 3, width: Math.max(w, r.value > 0 ? 2 : 0), height: rowH - 6, class: "bar " + (r.cls || "") });
      bar.appendChild(el("title", {}, `${r.label}: ${r.text || fmt.format(r.value)}`));
      root.appendChild(bar);
      root.appendChild(el("text", { x: labelW + w + 6, y: y + rowH * 0.65, class: "value" }, r.text || fmt.format(r.value)));
    });
    host.replaceChildren(root);
    return root;
  }

  return { columns, rows, fmt };
})();
window.Charts = Charts;
