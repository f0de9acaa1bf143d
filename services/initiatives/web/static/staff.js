// Staff session for the initiatives pages: token in localStorage `staff_token`, account in `staff`.
const Staff = {
  token() { return localStorage.getItem("staff_token"); },
  me() { try { return JSON.parse(localStorage.getItem("staff") || "null"); } catch { return null; } },
  save(token, staff) { localStorage.setItem("staff_token", token); localStorage.setItem("staff", JSON.stringify(staff)); },
  logout() { localStorage.removeItem("staff_token"); localStorage.removeItem("staff"); location.href = "/initiatives/login.html"; },
  api(method, url, body) { return Contest.api(method, url, body, { token: this.token() || null }); },
  // Redirect to the login page unless logged in with one of `roles`.
  require(...roles) {
    const me = this.me();
    if (!this.token() || !me || (roles.length && !roles.includes(me.role))) {
      location.href = "/initiatives/login.html?next=" + encodeURIComponent(location.pathname + location.search);
      return null;
    }
    return me;
  },
  // "Đã lưu …" in the page's live region (#saved, role=status): a judge hears and sees it.
  saved(text) {
    const box = document.getElementById("saved");
    if (!box) return;
    box.textContent = text + " " + new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  },
  async guard(promise, errorEl) {
    try { return await promise; } catch (err) {
      if (err.status === 401) { this.logout(); return null; }
      if (errorEl) Contest.showError(errorEl, err); else alert(err.message);
      return null;
    }
  },
};
const ROLE_NAMES = { unit_rep: "Đại diện đơn vị", judge: "Giám khảo", head_judge: "Trưởng ban giám khảo", organizer: "Ban tổ chức" };
const STATUS_NAMES = { draft: "Bản nháp", submitted: "Đã nộp, chờ duyệt", returned: "Bị trả lại", approved: "Đã duyệt", withdrawn: "Đã gỡ" };
const STATUS_CLASS = { draft: "", submitted: "warn", returned: "bad", approved: "ok", withdrawn: "bad" };

// Tiny DOM builder: el("p", {class: "muted"}, "text", child, …); text is never parsed as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;  // through CSSOM: the CSP refuses style attributes
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}
let META = null;
async function meta() { if (!META) META = await Contest.api("GET", "/api/initiatives/meta", undefined, { token: null }); return META; }
function unitName(id) { const u = META && META.units.find((x) => x.id === id); return u ? u.name : id; }
function fieldName(id) { const f = META && META.fields.find((x) => x.id === id); return f ? f.name : id; }

// The scoring form for one rubric: one labelled number input per criterion with its range.
function scoreForm(prefix, criteria, latest, onSubmit, opts = {}) {
  const err = el("p", { class: "error hidden" });
  const totalEl = el("span", { class: "total", "aria-live": "polite" }, "—");
  const inputs = criteria.map((c) => {
    const prev = latest && latest.criteria ? latest.criteria.find((x) => x.criterion_id === c.id) : null;
    const id = `${prefix}-${c.id}`;
    // Text, not type=number: Chromium's number field turns a Vietnamese "8,5" into 85.
    const input = el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", required: true,
      value: prev ? Contest.fmtNumber(prev.score) : "", "aria-describedby": id + "-hint" });
    return { c, input, box: el("div", {}, el("label", { for: id }, `${c.name}`),
      el("div", { id: id + "-hint", class: "muted small" }, `Từ 0 đến ${Contest.fmtNumber(c.max)} (có thể nhập số thập phân, ví dụ 8,5) · trọng số ${Math.round(c.weight * 100)}%`), input) };
  });
  const recompute = () => {
    let t = 0, ok = true;
    for (const { c, input } of inputs) { const v = Contest.parseNumber(input.value); if (isNaN(v) || v < 0 || v > c.max) ok = false; else t += c.weight * v / c.max; }
    totalEl.textContent = ok ? Contest.fmtScore(100 * t) : "—";
  };
  inputs.forEach(({ input }) => input.addEventListener("input", recompute));
  recompute();
  const form = el("form", { novalidate: true },
    el("div", { class: "criteria" }, inputs.map((i) => i.box)),
    el("p", {}, "Tổng điểm (thang 100): ", totalEl),
    err,
    el("div", { class: "row" },
      el("button", { type: "submit" }, latest && !latest.abstain ? "Sửa điểm (lần chấm mới)" : "Gửi điểm"),
      opts.allowAbstain === false ? null : el("button", { type: "button", class: "secondary", onclick: async () => {
        if (!confirm("Bỏ phiếu trắng (không chấm) bài này?")) return;
        err.classList.add("hidden");
        try { await onSubmit({ abstain: true }); Staff.saved("Đã lưu phiếu trắng" + (opts.title ? ` cho “${opts.title}”.` : ".")); }
        catch (e) { Contest.showError(err, e); }
      } }, "Bỏ phiếu trắng")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.classList.add("hidden");
    for (const { c, input } of inputs) {
      const v = Contest.parseNumber(input.value);
      input.removeAttribute("aria-invalid");
      if (isNaN(v) || v < 0 || v > c.max) {
        const what = isNaN(v) ? `phải là một số (ví dụ 8,5 hoặc 8.5)` : `phải từ 0 đến ${Contest.fmtNumber(c.max)}`;
        Contest.showError(err, { message: `Điểm “${c.name}” ${what}.` });
        input.setAttribute("aria-invalid", "true"); input.focus(); return;
      }
    }
    const total = totalEl.textContent;
    try {
      await onSubmit({ criteria: inputs.map(({ c, input }) => ({ criterion_id: c.id, score: Contest.parseNumber(input.value) })) });
      Staff.saved(`Đã lưu điểm${opts.title ? ` “${opts.title}”` : ""}: ${total} điểm (thang 100).`);
    } catch (e) { Contest.showError(err, e); }
  });
  return form;
}
window.Staff = Staff;
function showWho(me) {
  const who = document.getElementById("who"), out = document.getElementById("logout");
  if (!who || !me) return;
  who.textContent = `${me.display_name} · ${ROLE_NAMES[me.role] || me.role}`;
  if (out) { out.classList.remove("hidden"); out.addEventListener("click", () => Staff.logout()); }
}
