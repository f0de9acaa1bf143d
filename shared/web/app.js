// Small helpers every page uses: JSON calls that surface the API's Vietnamese error message,
// and the participant's token kept in localStorage (same origin behind the reverse proxy).
const Contest = {
  token() { return localStorage.getItem("participant_token"); },
  participant() { try { return JSON.parse(localStorage.getItem("participant") || "null"); } catch { return null; } },
  saveParticipant(p, token) { localStorage.setItem("participant", JSON.stringify(p)); localStorage.setItem("participant_token", token); },
  async api(method, url, body, opts = {}) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined && !(body instanceof FormData)) headers["Content-Type"] = "application/json";
    const token = opts.token === undefined ? this.token() : opts.token;
    if (token) headers["Authorization"] = "Bearer " + token;
    let res;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : (body instanceof FormData ? body : JSON.stringify(body)) });
    } catch (e) {
      throw { status: 0, code: "network", message: "Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại." };
    }
    const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw { status: res.status, code: err.code || "error", message: err.message || "Đã có lỗi xảy ra.", details: err.details };
    }
    return data;
  },
  showError(el, err) { el.textContent = err.message || String(err); el.classList.remove("hidden"); el.setAttribute("role", "alert"); },
  // Numbers shown to people: one Vietnamese format everywhere (77,5 · 1.234), at most 2 decimals.
  fmtNumber(x, digits = 2) {
    if (x === null || x === undefined || x === "" || isNaN(Number(x))) return "—";
    return new Intl.NumberFormat("vi-VN", { maximumFractionDigits: digits }).format(Number(x));
  },
  fmtScore(x) { return Contest.fmtNumber(x); },
  // A number typed by a person: "8,5" and "8.5" are both 8.5 (Vietnamese writes a decimal comma);
  // anything else (letters, two separators, thousands groups) is NaN, for the form to refuse.
  parseNumber(text) {
    const s = String(text ?? "").trim();
    return /^[+-]?\d+([.,]\d+)?$/.test(s) ? Number(s.replace(",", ".")) : NaN;
  },
  // Text into HTML markup, safe in element content and in quoted attribute values alike.
  escape(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  },
};
window.Contest = Contest;

// The shared header's account link shows the signed-in participant on every page.
(function accountLink() {
  const p = Contest.participant(), nav = document.getElementById("nav-account");
  if (p && Contest.token() && nav) { nav.textContent = p.display_name || "Tài khoản"; nav.href = "/quiz/take"; }
})();

// Every tab list works as the ARIA tab pattern expects: one tab stop (the selected tab), the arrow
// keys and Home/End move between the visible tabs and select them. The page's own script still
// decides what selecting means (it listens for clicks and sets aria-selected).
(function tabLists() {
  for (const list of document.querySelectorAll('[role="tablist"]')) {
    const tabs = () => [...list.querySelectorAll('[role="tab"]')].filter((t) => t.getClientRects().length > 0);
    const stops = () => { for (const t of list.querySelectorAll('[role="tab"]')) t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1; };
    stops();
    new MutationObserver(stops).observe(list, { subtree: true, attributes: true, attributeFilter: ["aria-selected"] });
    list.addEventListener("keydown", (e) => {
      const all = tabs(), at = all.indexOf(document.activeElement);
      if (at < 0) return;
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      const tab = all[(to + all.length) % all.length];
      tab.focus();
      tab.click();
    });
  }
})();
