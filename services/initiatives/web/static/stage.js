// Stage tablet console: the finalist on stage, the stage rubric's form, live refresh every 3 s.
(async function () {
  const me = Staff.require("judge", "head_judge");
  if (!me) return;
  showWho(me);
  const $ = (id) => document.getElementById(id);
  const error = $("error");
  await Staff.guard(meta(), error);
  let shown = null;  // "<id>:<open>:<revision>" of what the form shows; rebuilt only on change
  async function refresh() {
    let data;
    try { data = await Staff.api("GET", "/api/stage/console"); error.classList.add("hidden"); }
    catch (e) { if (e.status === 401) return Staff.logout(); Contest.showError(error, e); return; }
    $("order").replaceChildren(...data.finalists.map((f) => el("li", { "aria-current": f.initiative_id === data.current_id ? "true" : null },
      `${f.title} – ${unitName(f.unit_id)} `, f.my_latest && !f.my_latest.abstain ? el("span", { class: "tag ok" }, `Tôi chấm: ${Contest.fmtScore(f.my_latest.total)}`) : null)));
    const cur = data.current;
    $("current").textContent = cur ? `${cur.position}. ${cur.title}` : "Chưa có đội nào lên sân khấu.";
    $("state").replaceChildren(cur ? el("span", { class: "tag " + (cur.scoring_open ? "ok" : "bad") }, cur.scoring_open ? "Đang mở chấm điểm" : "Đã đóng chấm điểm") : "");
    const key = cur ? `${cur.initiative_id}:${cur.scoring_open}:${cur.my_latest ? cur.my_latest.revision : 0}` : "none";
    if (key === shown) return;
    shown = key;
    const box = $("form-box");
    if (!cur || !cur.scoring_open) { box.classList.add("hidden"); box.replaceChildren(); return; }
    box.replaceChildren(el("h2", {}, "Phiếu chấm: " + cur.title),
      cur.my_latest && !cur.my_latest.abstain ? el("p", { class: "notice" }, `Đã gửi ${Contest.fmtScore(cur.my_latest.total)} điểm (lần ${cur.my_latest.revision}). Có thể sửa khi phần chấm còn mở.`) : null,
      scoreForm("st-" + cur.initiative_id, data.criteria, cur.my_latest, async (payload) => {
        await Staff.api("POST", "/api/stage/scores", { initiative_id: cur.initiative_id, ...payload });
        shown = null; refresh();
      }, { allowAbstain: !(cur.my_latest && !cur.my_latest.abstain), title: cur.title }));
    box.classList.remove("hidden");
  }
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, 3000);
})();
