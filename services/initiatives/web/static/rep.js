// Unit representative: the unit's initiatives, draft editing, submission before the deadline.
(async function () {
  const me = Staff.require("unit_rep");
  if (!me) return;
  showWho(me);
  const $ = (id) => document.getElementById(id);
  const form = $("form"), error = $("error"), ferr = $("form-error"), fok = $("form-ok");
  let editing = null;
  const m = await Staff.guard(meta(), error);
  if (!m) return;
  m.fields.forEach((f) => $("field").append(el("option", { value: f.id }, f.name)));
  $("deadline").textContent = `Hạn nộp sáng kiến: ${new Date(m.phase.closes_at).toLocaleString("vi-VN")}. Đơn vị: ${unitName(me.unit_id) || "—"}.`;

  function linksText(links) { return links.map((l) => l.label ? `${l.url} | ${l.label}` : l.url).join("\n"); }
  function parseLinks(text) {
    return text.split("\n").map((s) => s.trim()).filter(Boolean).map((line) => {
      const [url, ...rest] = line.split("|");
      // A phone capitalises the first letter ("Https://…"): the scheme is case-blind anyway.
      const u = url.trim().replace(/^https?:\/\//i, (scheme) => scheme.toLowerCase()), label = rest.join("|").trim();
      const kind = /youtu|video|\.mp4/i.test(u) ? "video" : /\.(jpe?g|png|webp|gif)$/i.test(u) ? "photo" : /\.(pdf|docx?|xlsx?|pptx?)$/i.test(u) ? "document" : "other";
      return { url: u, label, kind };
    });
  }
  // Field-level checks in Vietnamese (the form is novalidate: no browser bubbles in English). The
  // same rules as the API; an error the API still finds is shown at its field by its location.
  const FIELDS = ["title", "field", "summary", "description", "links", "contact"];
  const LIMITS = { summary: [2000, "Tóm tắt"], description: [30000, "Mô tả"], contact: [500, "Thông tin liên hệ"] };
  const fmt = (n) => Contest.fmtNumber(n);
  function fieldError(name) {
    let p = document.getElementById(name + "-error");
    if (!p) {
      p = el("p", { id: name + "-error", class: "field-error" });
      $(name).insertAdjacentElement("afterend", p);
      $(name).setAttribute("aria-describedby", name + "-error");
    }
    return p;
  }
  function clearErrors() {
    for (const name of FIELDS) { $(name).removeAttribute("aria-invalid"); fieldError(name).textContent = ""; }
  }
  function linkProblem(line, n) {
    const [url, ...rest] = line.split("|");
    const u = url.trim();
    if (!/^https?:\/\/\S+$/i.test(u) || u.length < 8) return `Dòng ${n}: liên kết phải bắt đầu bằng https:// (hoặc http://) và không chứa dấu cách.`;
    if (u.length > 1000) return `Dòng ${n}: liên kết dài quá ${fmt(1000)} ký tự.`;
    if (rest.join("|").trim().length > 200) return `Dòng ${n}: phần mô tả sau dấu | tối đa ${fmt(200)} ký tự.`;
    return null;
  }
  function check(submitting = false) {
    const problems = {};
    const title = $("title").value.trim();
    if (title.length < 3 || title.length > 300) problems.title = `Tên sáng kiến cần từ 3 đến ${fmt(300)} ký tự.`;
    if (!$("field").value) problems.field = "Hãy chọn lĩnh vực của sáng kiến.";
    for (const [name, [max, label]] of Object.entries(LIMITS)) {
      if ($(name).value.length > max) problems[name] = `${label} tối đa ${fmt(max)} ký tự (hiện có ${fmt($(name).value.length)}).`;
    }
    // Only to submit (a draft may be incomplete): the API's "incomplete" rule, at its fields.
    if (submitting && $("summary").value.trim().length < 10) problems.summary = "Trước khi nộp, cần có tóm tắt (ít nhất 10 ký tự).";
    if (submitting && $("description").value.trim().length < 20) problems.description = "Trước khi nộp, cần có mô tả đầy đủ (ít nhất 20 ký tự).";
    const lines = $("links").value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (lines.length > 30) problems.links = `Tối đa 30 liên kết (hiện có ${lines.length}).`;
    else for (const [i, line] of lines.entries()) { const p = linkProblem(line, i + 1); if (p) { problems.links = p; break; } }
    return problems;
  }
  // An API error location ("links.1.url", "title") → the form field and a Vietnamese message.
  function fromApi(err) {
    const problems = {};
    for (const d of err.details || []) {
      const [name, index] = String(d.field || "").split(".");
      if (!FIELDS.includes(name) || problems[name]) continue;
      problems[name] = name === "links" && index !== undefined
        ? linkProblem($("links").value.split("\n").map((s) => s.trim()).filter(Boolean)[Number(index)] || "", Number(index) + 1)
          || `Dòng ${Number(index) + 1}: liên kết không hợp lệ.`
        : { title: `Tên sáng kiến cần từ 3 đến ${fmt(300)} ký tự.`, field: "Hãy chọn lĩnh vực của sáng kiến.",
            links: "Danh sách liên kết không hợp lệ." }[name] || `${(LIMITS[name] || [0, "Ô này"])[1]} không hợp lệ hoặc quá dài.`;
    }
    return problems;
  }
  function show(problems) {
    const names = FIELDS.filter((n) => problems[n]);
    for (const name of names) { $(name).setAttribute("aria-invalid", "true"); fieldError(name).textContent = problems[name]; }
    if (names.length) {
      Contest.showError(ferr, { message: names.length === 1 ? "Vui lòng sửa ô được đánh dấu bên dưới." : `Vui lòng sửa ${names.length} ô được đánh dấu bên dưới.` });
      $(names[0]).focus();
    }
    return names.length > 0;
  }
  // Save (create or update) after checking; the saved initiative, or null when something was wrong.
  async function save(submitting = false) {
    ferr.classList.add("hidden"); fok.classList.add("hidden"); clearErrors();
    if (show(check(submitting))) return null;
    try {
      editing = editing ? await Staff.api("PUT", "/api/initiatives/manage/" + editing.id, body())
                        : await Staff.api("POST", "/api/initiatives/manage", body());
      return editing;
    } catch (e) {
      if (!(e.status === 422 && show(fromApi(e)))) Contest.showError(ferr, e);
      return null;
    }
  }
  function body() {
    return { title: $("title").value, field: $("field").value, summary: $("summary").value, description: $("description").value,
      links: parseLinks($("links").value), contact: $("contact").value };
  }
  function open(ini) {
    editing = ini;
    const editable = !ini || ["draft", "returned"].includes(ini.status);
    $("form-h").textContent = ini ? `${ini.title} (${ini.id})` : "Sáng kiến mới";
    $("title").value = ini ? ini.title : "";
    $("field").value = ini ? ini.field : m.fields[0].id;
    $("summary").value = ini ? ini.summary : "";
    $("description").value = ini ? ini.description : "";
    $("links").value = ini ? linksText(ini.links) : "";
    $("contact").value = ini ? ini.contact : "";
    const rr = $("return-reason");
    rr.classList.toggle("hidden", !(ini && ini.status === "returned" && ini.return_reason));
    rr.textContent = ini && ini.return_reason ? "Ban tổ chức trả lại: " + ini.return_reason : "";
    form.querySelectorAll("input, select, textarea, button[type=submit], #submit").forEach((x) => { x.disabled = !editable; });
    $("submit").classList.toggle("hidden", !editable);
    ferr.classList.add("hidden"); fok.classList.add("hidden"); clearErrors();
    form.classList.remove("hidden");
    $("title").focus();
  }
  async function list() {
    const data = await Staff.guard(Staff.api("GET", "/api/initiatives/manage"), error);
    if (!data) return;
    $("mine").replaceChildren(...(data.items.length ? data.items.map((i) => el("div", { class: "card" },
      el("h3", {}, i.title),
      el("p", {}, el("span", { class: "tag " + STATUS_CLASS[i.status] }, STATUS_NAMES[i.status]), el("span", { class: "tag" }, fieldName(i.field)), el("span", { class: "tag" }, i.id)),
      i.status === "returned" && i.return_reason ? el("p", { class: "error" }, "Lý do trả lại: " + i.return_reason) : null,
      el("div", { class: "row" },
        el("button", { type: "button", class: "secondary", onclick: () => open(i) }, ["draft", "returned"].includes(i.status) ? "Sửa" : "Xem"),
        i.status === "approved" ? el("a", { href: "/initiatives/detail.html?id=" + encodeURIComponent(i.id) }, "Xem trên thư viện") : null)))
      : [el("p", { class: "muted" }, "Đơn vị chưa có sáng kiến nào.")]));
  }
  $("new").addEventListener("click", () => open(null));
  $("cancel").addEventListener("click", () => { form.classList.add("hidden"); editing = null; });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!(await save())) return;
    fok.textContent = "Đã lưu bản nháp."; fok.classList.remove("hidden");
    $("form-h").textContent = `${editing.title} (${editing.id})`;
    list();
  });
  $("submit").addEventListener("click", async () => {
    ferr.classList.add("hidden"); clearErrors();
    if (show(check(true))) return;
    if (!confirm("Nộp sáng kiến cho Ban tổ chức? Sau khi nộp sẽ không sửa được nữa (trừ khi bị trả lại).")) return;
    if (!(await save(true))) return;
    try {
      editing = await Staff.api("POST", `/api/initiatives/manage/${editing.id}/submit`);
      fok.textContent = "Đã nộp. Ban tổ chức sẽ xem xét và duyệt."; fok.classList.remove("hidden");
      open(editing); fok.classList.remove("hidden");
      list();
    } catch (e) { Contest.showError(ferr, e); }
  });
  list();
})();
