// Results console for organizers and head judges: every board with its state, freeze and reveal
// (each after a confirmation), exports, the big screen, and the prediction's reference values.
// The token is the staff session of the initiatives pages (same origin) or the admin token typed in.
// Text goes in with textContent only.
(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const SCOPES = { individual: "Thi trực tuyến – cá nhân", unit: "Thi trực tuyến – đơn vị" };
  const PHASES = { initiatives: "Mô hình, sáng kiến", stage: "Thi sân khấu hóa" };
  const ROLES = ["organizer", "head_judge"];
  let roundNames = {};

  function token() {
    const typed = sessionStorage.getItem("admin_token");
    if (typed) return typed;
    let staff = null;
    try { staff = JSON.parse(localStorage.getItem("staff") || "null"); } catch { staff = null; }
    return staff && ROLES.includes(staff.role) ? localStorage.getItem("staff_token") : null;
  }
  const api = (method, url, body) => Contest.api(method, url, body, { token: token() });
  const enc = encodeURIComponent;

  function boardName(b) {
    const what = SCOPES[b.scope] && b.phase_id !== "initiatives" && b.phase_id !== "stage" ? SCOPES[b.scope] : (PHASES[b.phase_id] || b.phase_id);
    let when = "toàn giai đoạn";
    if (b.window.startsWith("round-")) when = roundNames[b.window.slice(6)] || b.window.slice(6);
    else if (b.window.startsWith("day-")) { const [y, m, d] = b.window.slice(4).split("-"); when = `ngày ${d}/${m}/${y}`; }
    return `${what} · ${when}`;
  }
  function say(text) { $("error").classList.add("hidden"); $("done").textContent = text; $("done").classList.remove("hidden"); }
  function fail(err) {
    $("done").classList.add("hidden");
    Contest.showError($("error"), err);
    if (err.status === 401 || err.status === 403) { sessionStorage.removeItem("admin_token"); signIn(); }
  }
  function signIn() {
    $("signin").classList.remove("hidden"); $("boards-box").classList.add("hidden"); $("refs-box").classList.add("hidden");
  }

  function boardCard(b) {
    const name = boardName(b);
    const li = el("li", { class: "card", "data-board": b.board_id });
    li.appendChild(el("h3", {}, name));
    const state = el("p", {});
    state.appendChild(el("span", { class: "rc-state" + (b.frozen ? " frozen" : "") }, b.frozen ? "Đang khóa" : "Đang công khai"));
    const at = b.frozen_at ? new Date(b.frozen_at).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit" }) : "";
    state.appendChild(document.createTextNode(b.frozen
      ? ` · khóa lúc ${at}: công chúng và màn hình lớn thấy bảng lúc khóa; hiện có ${b.total} mục.`
      : ` · Cập nhật trực tiếp; ${b.total} mục.`));
    li.appendChild(state);
    const actions = el("div", { class: "rc-actions" });
    const button = el("button", { type: "button", class: b.frozen ? "" : "secondary" },
      b.frozen ? "Công bố kết quả" : "Khóa bảng");
    button.setAttribute("aria-label", `${b.frozen ? "Công bố kết quả" : "Khóa bảng"}: ${name}`);
    button.addEventListener("click", async () => {
      const question = b.frozen
        ? `Công bố bảng “${name}”? Kết quả mới nhất sẽ hiện ngay cho mọi người, kể cả trên màn hình lớn.`
        : `Khóa bảng “${name}”? Công chúng sẽ thấy bảng như lúc này cho đến khi công bố.`;
      if (!confirm(question)) return;
      button.disabled = true;
      try {
        await api("POST", `/api/admin/boards/${enc(b.board_id)}/${b.frozen ? "unfreeze" : "freeze"}`);
        say(b.frozen ? `Đã công bố bảng “${name}”.` : `Đã khóa bảng “${name}”.`);
        await load();
      } catch (err) { fail(err); button.disabled = false; }
    });
    actions.appendChild(button);
    li.appendChild(actions);
    const links = el("p", { class: "rc-links" });
    for (const [href, text] of [[`/api/boards/${enc(b.board_id)}/export.csv`, "Tải CSV"], [`/api/boards/${enc(b.board_id)}/export.xlsx`, "Tải Excel"],
      [`/boards/${enc(b.board_id)}/screen`, "Màn hình lớn"], [`/boards/${enc(b.board_id)}`, "Xem bảng"]]) {
      const a = el("a", { href, "aria-label": `${text}: ${name}` }, text);
      if (text === "Màn hình lớn") { a.target = "_blank"; a.rel = "noopener"; }
      links.appendChild(a);
    }
    li.appendChild(links);
    return li;
  }

  function refRow(r) {
    const div = el("div", { class: "rc-ref" });
    const id = `ref-${r.round_id}`;
    const now = r.value === null || r.value === undefined ? "chưa có" : Contest.fmtScore(r.value);
    div.appendChild(el("label", { for: id }, `${r.name}: đang dùng ${now} (${r.final ? "đã chốt" : "tạm tính"})`));
    const input = el("input", { id, type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "Ví dụ: 12500" });
    div.appendChild(input);
    const actions = el("div", { class: "rc-actions" });
    const save = el("button", { type: "button", "aria-label": `Chốt giá trị tham chiếu ${r.name}` }, "Chốt giá trị");
    save.addEventListener("click", async () => {
      // Vietnamese writes 12.500 for twelve thousand five hundred and 8,5 for eight and a half.
      const raw = input.value.trim().replace(/\s/g, "").replace(/\./g, "").replace(",", ".");
      const value = Number(raw);
      if (!raw || !Number.isFinite(value) || value < 0) { fail({ message: "Vui lòng nhập một số không âm, ví dụ 12500." }); input.focus(); return; }
      if (!confirm(`Chốt giá trị tham chiếu ${Contest.fmtScore(value)} cho ${r.name}? Bảng xếp hạng của vòng sẽ được tính lại.`)) return;
      try { await api("PUT", `/api/admin/boards/references/${enc(r.round_id)}`, { value }); say(`Đã chốt giá trị tham chiếu cho ${r.name}.`); await load(); } catch (err) { fail(err); }
    });
    actions.appendChild(save);
    if (r.final) {
      const clear = el("button", { type: "button", class: "secondary", "aria-label": `Bỏ chốt giá trị tham chiếu ${r.name}` }, "Bỏ chốt, dùng giá trị tạm tính");
      clear.addEventListener("click", async () => {
        if (!confirm(`Bỏ giá trị đã chốt của ${r.name}?`)) return;
        try { await api("DELETE", `/api/admin/boards/references/${enc(r.round_id)}`); say(`Đã bỏ chốt giá trị tham chiếu của ${r.name}.`); await load(); } catch (err) { fail(err); }
      });
      actions.appendChild(clear);
    }
    div.appendChild(actions);
    return div;
  }

  async function load() {
    if (!token()) { signIn(); return; }
    try {
      // The organizers' list: live totals, and when each frozen board was frozen.
      const [refs, listing] = await Promise.all([api("GET", "/api/admin/boards/references"), api("GET", "/api/admin/boards")]);
      roundNames = Object.fromEntries(refs.references.map((r) => [r.round_id, r.name]));
      $("signin").classList.add("hidden");
      const list = $("boards"); list.textContent = "";
      for (const b of listing.boards) list.appendChild(boardCard(b));
      $("boards-box").classList.remove("hidden");
      const box = $("refs"); box.textContent = "";
      for (const r of refs.references) box.appendChild(refRow(r));
      $("refs-box").classList.toggle("hidden", refs.free_question_kind !== "prediction");
    } catch (err) { fail(err); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = $("admin-token").value.trim();
      if (!value) { fail({ message: "Vui lòng nhập mã quản trị." }); return; }
      sessionStorage.setItem("admin_token", value); $("admin-token").value = ""; load();
    });
    load();
  });
})();
