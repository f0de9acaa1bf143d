// Results console for organizers and head judges: every board with its state, freeze and reveal
// (each after a confirmation), exports, the big screen, the prediction's reference values, and on a
// frozen board with prizes declared: the official results' preview, tie decisions and publishing.
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

  function staffName() {
    if (sessionStorage.getItem("admin_token")) return "";
    try { return (JSON.parse(localStorage.getItem("staff") || "null") || {}).display_name || ""; } catch { return ""; }
  }

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
    if (b.frozen) {
      const slot = el("div", {});
      li.appendChild(slot);
      resultsBlock(b, name).then((box) => { if (box) slot.appendChild(box); }, fail);
    }
    return li;
  }

  // Official results of a frozen board: null when the contest file declares no prizes for it.
  let seq = 0;
  async function resultsBlock(b, name) {
    let pv;
    try { pv = await api("GET", `/api/admin/results/preview?board_id=${enc(b.board_id)}`); } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
    const n = ++seq;
    const box = el("section", { class: "rc-results", "aria-labelledby": `rc-res-${n}` });
    box.appendChild(el("h4", { id: `rc-res-${n}` }, "Kết quả chính thức"));
    const status = el("p", { class: "rc-status", role: "status", "aria-live": "polite" });
    const panel = el("div", { class: "rc-preview hidden", id: `rc-pv-${n}` });
    const show = el("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": panel.id,
      "aria-label": `Xem trước kết quả: ${name}` }, "Xem trước kết quả");
    show.addEventListener("click", async () => {
      try { pv = await api("GET", `/api/admin/results/preview?board_id=${enc(b.board_id)}`); } catch (err) { fail(err); return; }
      renderPreview(panel, pv, b, name, n);
      panel.classList.remove("hidden"); show.setAttribute("aria-expanded", "true");
    });
    const byId = `rc-by-${n}`;
    const by = el("input", { id: byId, type: "text", autocomplete: "name", maxlength: "100" });
    by.value = staffName();
    const publish = el("button", { type: "button", "aria-label": `Công bố kết quả chính thức: ${name}` }, "Công bố kết quả chính thức");
    publish.addEventListener("click", async () => {
      const who = by.value.trim();
      if (who.length < 2) { fail({ message: "Vui lòng nhập họ tên người công bố." }); by.focus(); return; }
      if (!confirm(`Công bố kết quả chính thức của bảng “${name}”? Kết quả công bố là cuối cùng, không thể sửa.`)) return;
      publish.disabled = true;
      try {
        const snap = await api("POST", "/api/admin/results", { board_id: b.board_id, published_by: who });
        status.textContent = `Đã công bố kết quả chính thức của bảng “${name}”. `;
        status.appendChild(el("a", { href: `/results/${enc(snap.snapshot_id)}` }, "Xem trang kết quả công khai"));
      } catch (err) {
        publish.disabled = false;
        if (err.code === "tie_at_prize_boundary") {
          pv.conflicts = (err.details && err.details.conflicts) || pv.conflicts;
          renderPreview(panel, pv, b, name, n);
          panel.classList.remove("hidden"); show.setAttribute("aria-expanded", "true");
        }
        status.textContent = err.message || "Đã có lỗi xảy ra.";
      }
    });
    const actions = el("div", { class: "rc-actions" });
    actions.appendChild(show);
    box.appendChild(actions);
    box.appendChild(panel);
    const field = el("div", { class: "rc-ref" });
    field.appendChild(el("label", { for: byId }, "Người công bố (họ tên)"));
    field.appendChild(by);
    const go = el("div", { class: "rc-actions" });
    go.appendChild(publish);
    field.appendChild(go);
    box.appendChild(field);
    box.appendChild(status);
    return box;
  }

  function renderPreview(panel, pv, b, name, n) {
    panel.textContent = "";
    for (const t of pv.tiers) {
      const got = pv.winners.filter((w) => w.prize === t.id);
      panel.appendChild(el("h5", {}, `${t.name} (${t.count} giải)`));
      const ol = el("ul", { class: "rc-winners" });
      if (!got.length) ol.appendChild(el("li", { class: "muted" }, "Chưa có người nhận"));
      for (const w of got) ol.appendChild(el("li", {}, `Hạng ${w.rank}: ${w.display_name} (${w.entrant_id}) – ${Contest.fmtScore(w.score)} điểm`));
      panel.appendChild(ol);
    }
    if (!pv.conflicts.length) { panel.appendChild(el("p", { class: "notice" }, "Không có đồng hạng tại ranh giới giải.")); return; }
    pv.conflicts.forEach((c, i) => panel.appendChild(decisionForm(c, b, name, `${n}-${i}`)));
  }

  // A tie across a prize boundary: the organizers put the tied entrants in order and say why.
  function decisionForm(c, b, name, key) {
    const form = el("form", { class: "rc-tie", "aria-labelledby": `rc-tie-${key}` });
    form.appendChild(el("p", { id: `rc-tie-${key}`, class: "error" },
      `Đồng hạng ${c.rank} tại ranh giới giải (${c.entrant_ids.length} người, các vị trí: ${c.places.join(", ")}). Cần quyết định thứ tự trước khi công bố.`));
    const order = [...c.entrant_ids];
    const ol = el("ol", { class: "rc-order", "aria-label": "Thứ tự đã quyết định" });
    const draw = () => {
      ol.textContent = "";
      order.forEach((id, i) => {
        const li = el("li", {});
        li.appendChild(el("span", {}, `${id} → ${c.places[i]}`));
        for (const [dir, text, label] of [[-1, "↑", "Lên"], [1, "↓", "Xuống"]]) {
          const j = i + dir;
          const btn = el("button", { type: "button", class: "secondary", "aria-label": `${label}: ${id}` }, text);
          btn.disabled = j < 0 || j >= order.length;
          btn.addEventListener("click", () => { [order[i], order[j]] = [order[j], order[i]]; draw(); ol.querySelectorAll("button")[2 * j + (dir < 0 ? 0 : 1)]?.focus(); });
          li.appendChild(btn);
        }
        ol.appendChild(li);
      });
    };
    draw();
    form.appendChild(ol);
    const reasonId = `rc-why-${key}`;
    form.appendChild(el("label", { for: reasonId }, "Lý do (bắt buộc, ví dụ: bốc thăm công khai ngày …)"));
    const reason = el("textarea", { id: reasonId, required: "", minlength: "5", maxlength: "2000", rows: "2" });
    form.appendChild(reason);
    const whoId = `rc-who-${key}`;
    form.appendChild(el("label", { for: whoId }, "Người quyết định (họ tên)"));
    const who = el("input", { id: whoId, type: "text", required: "", minlength: "2", maxlength: "100", autocomplete: "name" });
    who.value = staffName();
    form.appendChild(who);
    const save = el("button", { type: "submit" }, "Ghi quyết định");
    const p = el("p", {}); p.appendChild(save); form.appendChild(p);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (reason.value.trim().length < 5) { fail({ message: "Vui lòng ghi lý do (ít nhất 5 ký tự)." }); reason.focus(); return; }
      if (who.value.trim().length < 2) { fail({ message: "Vui lòng nhập họ tên người quyết định." }); who.focus(); return; }
      save.disabled = true;
      try {
        await api("POST", "/api/admin/results/decisions",
          { board_id: b.board_id, entrant_ids: order, reason: reason.value.trim(), decided_by: who.value.trim() });
        say(`Đã ghi quyết định cho nhóm đồng hạng ${c.rank} của bảng “${name}”.`);
        await load();
      } catch (err) { fail(err); save.disabled = false; }
    });
    return form;
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
