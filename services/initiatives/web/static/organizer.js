// Organizers: review (approve / return with a reason / withdraw), staff accounts, stage control.
// Auth: an organizer staff account, or the admin token kept for this tab only (sessionStorage).
(async function () {
  const $ = (id) => document.getElementById(id);
  const error = $("error");
  const staffMe = Staff.me();
  let token = staffMe && staffMe.role === "organizer" ? Staff.token() : sessionStorage.getItem("admin_token");
  const call = (method, url, body) => Contest.api(method, url, body, { token });
  async function guard(p, errEl) {
    try { return await p; } catch (e) {
      if (e.status === 401 || (e.status === 403 && !staffMe)) { sessionStorage.removeItem("admin_token"); location.reload(); return null; }
      Contest.showError(errEl || error, e); return null;
    }
  }
  if (!token) {
    $("admin-login").classList.remove("hidden");
    $("admin-login").addEventListener("submit", (ev) => { ev.preventDefault(); sessionStorage.setItem("admin_token", $("admin-token").value.trim()); location.reload(); });
    return;
  }
  if (staffMe && staffMe.role === "organizer") showWho(staffMe);
  else { const w = $("who"); w.textContent = "Ban tổ chức (mã quản trị)"; $("logout").classList.remove("hidden"); $("logout").addEventListener("click", () => { sessionStorage.removeItem("admin_token"); location.reload(); }); }
  $("panel").classList.remove("hidden");
  const m = await guard(meta());
  if (!m) return;
  m.units.forEach((u) => $("acc-unit").append(el("option", { value: u.id }, u.name)));

  const tabs = { review: $("tab-review"), accounts: $("tab-accounts"), stage: $("tab-stage") };
  function select(name) {
    for (const [k, b] of Object.entries(tabs)) { b.setAttribute("aria-selected", String(k === name)); $("pane-" + k).classList.toggle("hidden", k !== name); }
    ({ review: loadReview, accounts: loadAccounts, stage: loadStage })[name]();
  }
  Object.entries(tabs).forEach(([k, b]) => b.addEventListener("click", () => select(k)));

  // --- review ---
  async function act(ini, action, body) {
    if (await guard(call("POST", `/api/admin/initiatives/initiatives/${ini.id}/${action}`, body))) loadReview();
  }
  async function loadReview() {
    const status = $("status-filter").value;
    const data = await guard(call("GET", "/api/admin/initiatives/initiatives" + (status ? "?status=" + status : "")));
    if (!data) return;
    $("review-list").replaceChildren(el("p", { class: "muted" }, `${data.total} sáng kiến.`), ...data.items.map((i) => el("article", { class: "card" },
      el("h2", {}, i.title),
      el("p", {}, el("span", { class: "tag " + STATUS_CLASS[i.status] }, STATUS_NAMES[i.status]), el("span", { class: "tag" }, i.id), el("span", { class: "tag" }, unitName(i.unit_id)), el("span", { class: "tag" }, fieldName(i.field))),
      el("p", {}, i.summary),
      el("details", {}, el("summary", {}, "Nội dung chi tiết và liên hệ"), el("div", { class: "pre" }, i.description), el("p", {}, "Liên hệ: " + (i.contact || "—")),
        el("ul", {}, i.links.map((l) => el("li", {}, el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.label || l.url))))),
      i.return_reason ? el("p", { class: "muted" }, "Lý do: " + i.return_reason) : null,
      el("div", { class: "row" },
        ["submitted", "withdrawn"].includes(i.status) ? el("button", { type: "button", onclick: () => act(i, "approve") }, "Duyệt và đăng") : null,
        i.status === "submitted" ? el("button", { type: "button", class: "secondary", onclick: () => {
          const reason = prompt("Lý do trả lại (đơn vị sẽ thấy):", "");
          if (reason && reason.trim()) act(i, "return", { reason: reason.trim() });
        } }, "Trả lại") : null,
        i.status === "approved" ? el("button", { type: "button", class: "secondary", onclick: () => {
          const reason = prompt("Gỡ sáng kiến khỏi thư viện? Lý do:", "");
          if (reason !== null) act(i, "withdraw", { reason });
        } }, "Gỡ khỏi thư viện") : null))));
  }
  $("status-filter").addEventListener("change", loadReview);

  // --- accounts ---
  async function loadAccounts() {
    const data = await guard(call("GET", "/api/admin/initiatives/staff"));
    if (!data) return;
    $("accounts").replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ["Tên đăng nhập", "Họ tên", "Vai trò", "Đơn vị", "Trạng thái"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, data.items.map((s) => el("tr", {}, el("td", {}, s.id), el("td", {}, s.display_name), el("td", {}, ROLE_NAMES[s.role]), el("td", {}, s.unit_id ? unitName(s.unit_id) : "—"),
        el("td", {}, el("button", { type: "button", class: "secondary small", onclick: async () => {
          if (await guard(call("PATCH", "/api/admin/initiatives/staff/" + s.id, { active: !s.active }))) loadAccounts();
        } }, s.active ? "Khóa" : "Mở khóa")))))));
  }
  $("account-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("acc-error").classList.add("hidden"); $("acc-ok").classList.add("hidden");
    const body = { username: $("acc-username").value.trim().toLowerCase(), display_name: $("acc-name").value.trim(), role: $("acc-role").value, password: $("acc-password").value };
    if ($("acc-unit").value) body.unit_id = $("acc-unit").value;
    try {
      const s = await call("POST", "/api/admin/initiatives/staff", body);
      $("acc-ok").textContent = `Đã tạo tài khoản ${s.id} (${ROLE_NAMES[s.role]}). Hãy gửi mật khẩu cho người dùng qua kênh an toàn.`;
      $("acc-ok").classList.remove("hidden");
      ev.target.reset(); loadAccounts();
    } catch (e) { Contest.showError($("acc-error"), e); }
  });

  // --- stage ---
  async function loadStage() {
    const [approved, stage] = await Promise.all([guard(call("GET", "/api/admin/initiatives/initiatives?status=approved")), guard(call("GET", "/api/stage"))]);
    if (!approved || !stage) return;
    const pos = Object.fromEntries(stage.finalists.map((f) => [f.initiative_id, f.position]));
    $("candidates").replaceChildren(...approved.items.map((i) => el("div", { class: "row" },
      el("input", { type: "checkbox", id: "fin-" + i.id, "data-id": i.id, checked: i.id in pos, style: "width:auto" }),
      el("label", { for: "fin-" + i.id, style: "flex:1" }, `${i.title} – ${unitName(i.unit_id)}`),
      el("label", { for: "pos-" + i.id, class: "muted small" }, "Thứ tự"),
      el("input", { type: "number", id: "pos-" + i.id, min: 1, value: pos[i.id] || "", style: "width:5em" }))));
    $("stage-control").replaceChildren(...(stage.finalists.length ? stage.finalists.map((f) => el("div", { class: "row card" },
      el("span", { style: "flex:1" }, `${f.position}. ${f.title}`, f.initiative_id === stage.current_id ? el("span", { class: "tag warn" }, "Trên sân khấu") : null),
      el("span", { class: "tag " + (f.scoring_open ? "ok" : "") }, f.scoring_open ? "Đang mở chấm" : "Đóng"),
      el("button", { type: "button", onclick: async () => { if (await guard(call("POST", `/api/stage/finalists/${f.initiative_id}/${f.scoring_open ? "close" : "open"}`))) loadStage(); } },
        f.scoring_open ? "Đóng chấm điểm" : "Lên sân khấu, mở chấm"))) : [el("p", { class: "muted" }, "Chưa chọn đội vào chung kết.")]));
  }
  $("save-finalists").addEventListener("click", async () => {
    $("fin-error").classList.add("hidden");
    const chosen = [...document.querySelectorAll("#candidates input[type=checkbox]:checked")].map((c) => ({ id: c.dataset.id, pos: parseInt($("pos-" + c.dataset.id).value || "9999", 10) }));
    chosen.sort((a, b) => a.pos - b.pos);
    if (await guard(call("PUT", "/api/stage/finalists", { initiative_ids: chosen.map((c) => c.id) }), $("fin-error"))) loadStage();
  });
  select("review");
})();
