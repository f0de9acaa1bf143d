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
      const u = url.trim(), label = rest.join("|").trim();
      const kind = /youtu|video|\.mp4/i.test(u) ? "video" : /\.(jpe?g|png|webp|gif)$/i.test(u) ? "photo" : /\.(pdf|docx?|xlsx?|pptx?)$/i.test(u) ? "document" : "other";
      return { url: u, label, kind };
    });
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
    $("submit").classList.toggle("hidden", !ini);
    ferr.classList.add("hidden"); fok.classList.add("hidden");
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
    ferr.classList.add("hidden"); fok.classList.add("hidden");
    try {
      editing = editing ? await Staff.api("PUT", "/api/initiatives/manage/" + editing.id, body())
                        : await Staff.api("POST", "/api/initiatives/manage", body());
      fok.textContent = "Đã lưu bản nháp."; fok.classList.remove("hidden");
      $("submit").classList.remove("hidden");
      list();
    } catch (e) { Contest.showError(ferr, e); }
  });
  $("submit").addEventListener("click", async () => {
    if (!editing || !confirm("Nộp sáng kiến cho Ban tổ chức? Sau khi nộp sẽ không sửa được nữa (trừ khi bị trả lại).")) return;
    ferr.classList.add("hidden");
    try {
      await Staff.api("PUT", "/api/initiatives/manage/" + editing.id, body());
      editing = await Staff.api("POST", `/api/initiatives/manage/${editing.id}/submit`);
      fok.textContent = "Đã nộp. Ban tổ chức sẽ xem xét và duyệt."; fok.classList.remove("hidden");
      open(editing); fok.classList.remove("hidden");
      list();
    } catch (e) { Contest.showError(ferr, e); }
  });
  list();
})();
