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
  fmtScore(x) { return (Math.round(x * 100) / 100).toLocaleString("vi-VN"); },
};
window.Contest = Contest;

// The shared header's account link shows the signed-in participant on every page.
(function accountLink() {
  const p = Contest.participant(), nav = document.getElementById("nav-account");
  if (p && Contest.token() && nav) { nav.textContent = p.display_name || "Tài khoản"; nav.href = "/quiz/take"; }
})();
