// Judge console: own assignments with the rubric's scoring form, revisions, abstention, conflicts;
// the anonymous essay queue; the head judge's spread view with review requests.
(async function () {
  const me = Staff.require("judge", "head_judge");
  if (!me) return;
  showWho(me);
  const $ = (id) => document.getElementById(id);
  const error = $("error");
  await Staff.guard(meta(), error);
  const base = `/api/judging/judges/${encodeURIComponent(me.id)}`;

  const tabs = { ini: $("tab-ini"), essay: $("tab-essay"), spread: $("tab-spread") };
  if (me.role === "head_judge") tabs.spread.classList.remove("hidden");
  if (me.role === "head_judge") $("results-link").classList.remove("hidden");
  function select(name) {
    for (const [k, b] of Object.entries(tabs)) { b.setAttribute("aria-selected", String(k === name)); $("pane-" + k).classList.toggle("hidden", k !== name); }
    ({ ini: loadAssignments, essay: loadEssays, spread: loadSpread })[name]();
  }
  Object.entries(tabs).forEach(([k, b]) => b.addEventListener("click", () => select(k)));

  function latestLine(latest) {
    if (!latest) return el("p", { class: "muted" }, "Chưa chấm.");
    if (latest.abstain) return el("p", { class: "tag warn" }, `Đã bỏ phiếu trắng (lần ${latest.revision}).`);
    return el("p", {}, el("span", { class: "tag ok" }, `Đã chấm: ${Contest.fmtScore(latest.total)} điểm`), ` lần chấm thứ ${latest.revision}, lúc ${new Date(latest.scored_at).toLocaleString("vi-VN")}`);
  }

  async function loadAssignments() {
    const data = await Staff.guard(Staff.api("GET", base + "/assignments"), error);
    if (!data) return;
    $("ini-info").textContent = `${data.items.length} sáng kiến được phân công. Có thể sửa điểm đến ${new Date(data.closes_at).toLocaleString("vi-VN")}.`;
    $("ini-list").replaceChildren(...data.items.map((a) => {
      const i = a.initiative;
      const box = el("article", { class: "card" },
        el("h2", {}, i.title),
        el("p", {}, el("span", { class: "tag" }, i.id), el("span", { class: "tag" }, unitName(i.unit_id)), el("span", { class: "tag" }, fieldName(i.field))),
        el("p", {}, i.summary),
        el("details", {}, el("summary", {}, "Nội dung chi tiết"), el("div", { class: "pre" }, i.description),
          el("ul", {}, i.links.map((l) => el("li", {}, el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.label || l.url))))));
      if (a.review_request) box.append(el("p", { class: "error", role: "status" }, "Trưởng ban đề nghị xem lại điểm: " + (a.review_request.note || "(không ghi chú)")));
      if (a.recused) { box.append(el("p", { class: "tag bad" }, a.recused_message)); return box; }
      box.append(latestLine(a.latest));
      box.append(scoreForm("s-" + i.id, data.criteria, a.latest, async (payload) => {
        await Staff.api("POST", base + "/scores", { subject_id: i.id, ...payload });
        loadAssignments();
      }, { allowAbstain: !(a.latest && !a.latest.abstain), title: i.title }));
      box.append(el("p", {}, el("button", { type: "button", class: "secondary small", onclick: async () => {
        const reason = prompt("Khai báo xung đột lợi ích với sáng kiến này (lý do):", "");
        if (reason === null) return;
        if (await Staff.guard(Staff.api("POST", base + "/conflicts", { subject_id: i.id, reason }), error)) loadAssignments();
      } }, "Khai báo xung đột lợi ích")));
      return box;
    }));
    if (!data.items.length) $("ini-list").append(el("p", { class: "muted" }, "Chưa có sáng kiến nào được duyệt để chấm."));
  }

  async function loadEssays() {
    const pending = $("only-pending").checked;
    const data = await Staff.guard(Staff.api("GET", `/api/essays?limit=50&pending=${pending}`), error);
    if (!data) return;
    $("essay-list").replaceChildren(el("p", { class: "muted" }, `${data.total} bài.`), ...data.items.map((e, n) =>
      el("article", { class: "card" },
        el("h3", {}, `Bài số ${n + 1}`),
        e.question_text ? el("p", { class: "muted small" }, "Câu hỏi: " + e.question_text) : null,
        el("blockquote", { class: "pre" }, e.text),
        latestLine(e.latest),
        scoreForm("e-" + e.essay_id, data.criteria, e.latest, async (payload) => {
          await Staff.api("POST", `/api/essays/${encodeURIComponent(e.essay_id)}/scores`, payload);
          loadEssays();
        }, { allowAbstain: !(e.latest && !e.latest.abstain), title: `Bài số ${n + 1}` }))));
  }
  $("only-pending").addEventListener("change", loadEssays);

  let phasesLoaded = false;
  async function loadSpread() {
    if (!phasesLoaded) {
      const r = await Staff.guard(Staff.api("GET", "/api/judging/rubrics"), error);
      if (!r) return;
      const names = { initiatives: "Sáng kiến", stage: "Chung kết sân khấu", quiz: "Bài tự luận" };
      r.items.forEach((p) => $("spread-phase").append(el("option", { value: p.phase_id }, names[p.phase_id] || p.phase_id)));
      $("spread-phase").addEventListener("change", loadSpread);
      phasesLoaded = true;
    }
    const phase = $("spread-phase").value;
    const data = await Staff.guard(Staff.api("GET", "/api/judging/spread?phase_id=" + encodeURIComponent(phase)), error);
    if (!data) return;
    $("spread-list").replaceChildren(el("p", { class: "muted" }, `Điểm lệch quá ${Contest.fmtNumber(data.outlier_threshold)} so với trung vị được đánh dấu.`),
      ...data.items.map((s) => el("article", { class: "card" },
        el("h3", {}, s.title || s.subject_id),
        el("p", {}, `Trung bình ${Contest.fmtNumber(s.mean)} · thấp nhất ${Contest.fmtNumber(s.min)} · cao nhất ${Contest.fmtNumber(s.max)} · độ lệch chuẩn ${Contest.fmtNumber(s.stdev)}`),
        el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Giám khảo"), el("th", { scope: "col" }, "Tổng"), el("th", { scope: "col" }, "Lần"), el("th", { scope: "col" }, "Xem lại"))),
          el("tbody", {}, s.judges.map((j) => {
            const out = s.outliers.includes(j.judge_id), flagged = s.flags.some((f) => f.judge_id === j.judge_id);
            return el("tr", { class: out ? "me" : null }, el("td", {}, j.judge_id), el("td", {}, j.abstain ? "phiếu trắng" : Contest.fmtScore(j.total)), el("td", {}, j.revision),
              el("td", {}, flagged ? "Đã đề nghị xem lại" : j.abstain ? "" : el("button", { type: "button", class: out ? "" : "secondary", onclick: async () => {
                const note = prompt(`Đề nghị ${j.judge_id} xem lại điểm (ghi chú):`, "Điểm lệch nhiều so với các giám khảo khác");
                if (note === null) return;
                if (await Staff.guard(Staff.api("POST", "/api/judging/flags", { phase_id: phase, subject_id: s.subject_id, judge_id: j.judge_id, note }), error)) loadSpread();
              } }, "Đề nghị xem lại")));
          }))))));
  }
  select("ini");
})();
