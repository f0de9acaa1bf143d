// Public leaderboard: pick a phase and window, page through, search, follow live updates (SSE),
// and highlight "me" (?me=<id> or the participant saved in localStorage).
(function () {
  const PAGE = 50;
  const SCOPES = {
    "individual": "Thi trực tuyến – cá nhân", "unit": "Thi trực tuyến – đơn vị",
    "entry": "Mô hình, sáng kiến",
  };
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const me = params.get("me") || (Contest.participant() || {}).participant_id || null;
  let boards = [], units = {}, boardId = null, offset = 0, query = "", source = null, refetchTimer = null;
  let followMe = !!me;  // until the visitor pages on their own, show the page that has "me" on it

  function pathBoard() {
    const m = location.pathname.match(/^\/boards\/([^/]+)$/);
    return m ? decodeURIComponent(m[1]) : null;
  }
  function groupOf(b) { return b.phase_id + "." + b.scope; }
  function groupLabel(b) {
    if (b.scope === "entry") return b.phase_id === "stage" ? "Thi sân khấu hóa" : SCOPES.entry;
    return SCOPES[b.scope] || (b.phase_id + " · " + b.scope);
  }
  function windowLabel(w) {
    if (w === "all") return "Toàn giai đoạn";
    if (w.startsWith("round-")) return "Vòng " + w.slice(6);
    if (w.startsWith("day-")) { const [y, m, d] = w.slice(4).split("-"); return "Ngày " + d + "/" + m + "/" + y; }
    return w;
  }
  const esc = Contest.escape;
  function explain(e) {
    const d = e.details || {};
    const parts = [];
    if (d.correct !== undefined) parts.push(d.correct + "/" + d.total + " câu đúng", Math.round(d.duration_ms / 1000) + " giây");
    if (d.essay_score !== undefined && d.essay_score !== null) parts.push("tự luận " + Contest.fmtScore(d.essay_score));
    if (d.distance !== undefined && d.distance !== null) parts.push("lệch dự đoán " + Contest.fmtScore(d.distance));
    if (d.participants !== undefined) parts.push(d.participants + " người thi", d.attempts + " lượt");
    if (d.per_1000_residents !== undefined && d.per_1000_residents !== null) parts.push(Contest.fmtScore(d.per_1000_residents) + "/1.000 dân");
    if (d.judge_score !== undefined) parts.push("giám khảo " + Contest.fmtScore(d.judge_score), "tương tác " + Contest.fmtScore(d.engagement_score));
    if (d.aggregation) parts.push(d.judge_count + " giám khảo" + (d.aggregation === "trimmed_mean" ? " (bỏ cao nhất, thấp nhất)" : ""));
    return parts.join(" · ");
  }
  function rowHtml(e) {
    const mine = me && e.entrant_id === me;
    return `<tr data-id="${esc(e.entrant_id)}"${mine ? ' class="rk-mine" aria-current="true"' : ""}>` +
      `<td class="rank">${e.rank}</td><td><span class="name">${esc(e.display_name)}</span>` +
      `<small class="rk-detail rk-unit-inline">${esc(units[e.unit_id] || e.unit_id || "")}</small>` +
      `<small class="rk-detail">${esc(e.entrant_id)} · ${esc(explain(e))}</small></td>` +
      `<td>${esc(units[e.unit_id] || e.unit_id || "")}</td><td class="num">${Contest.fmtScore(e.score)}</td></tr>`;
  }
  function fillPickers() {
    const groups = new Map();
    for (const b of boards) { if (!groups.has(groupOf(b))) groups.set(groupOf(b), b); }
    const cur = boards.find((b) => b.board_id === boardId) || boards[0];
    $("phase").innerHTML = [...groups.entries()].map(([g, b]) =>
      `<option value="${esc(g)}"${cur && groupOf(cur) === g ? " selected" : ""}>${esc(groupLabel(b))}</option>`).join("");
    const wins = boards.filter((b) => cur && groupOf(b) === groupOf(cur));
    $("window").innerHTML = wins.map((b) =>
      `<option value="${esc(b.board_id)}"${b.board_id === boardId ? " selected" : ""}>${esc(windowLabel(b.window))} (${Contest.fmtNumber(b.total)})</option>`).join("");
  }
  async function load() {
    const url = query
      ? `/api/boards/${encodeURIComponent(boardId)}?q=${encodeURIComponent(query)}&limit=100`
      : `/api/boards/${encodeURIComponent(boardId)}?limit=${PAGE}&offset=${offset}`;
    try {
      const data = await Contest.api("GET", url, undefined, { token: null });
      $("error").classList.add("hidden");
      $("rows").innerHTML = data.entries.map(rowHtml).join("") ||
        `<tr><td colspan="4">${query ? "Không tìm thấy kết quả phù hợp." : "Chưa có kết quả."}</td></tr>`;
      $("caption").textContent = (data.frozen ? "Bảng đang tạm khóa để công bố · " : "") +
        "Cập nhật lúc " + new Date(data.as_of).toLocaleString("vi-VN") + " · " + Contest.fmtNumber(data.total) + " mục";
      $("pageinfo").textContent = query ? "" : `${data.total ? offset + 1 : 0}–${Math.min(offset + PAGE, data.total)} / ${data.total}`;
      $("prev").disabled = !!query || offset === 0;
      $("next").disabled = !!query || offset + PAGE >= data.total;
    } catch (err) { Contest.showError($("error"), err); }
    loadMe();
  }
  async function loadMe() {
    if (!me) return;
    try {
      const d = await Contest.api("GET", `/api/boards/${encodeURIComponent(boardId)}/entries/${encodeURIComponent(me)}?around=2`, undefined, { token: null });
      const mine = Math.floor((d.rank - 1) / PAGE) * PAGE;
      if (followMe && !query && mine !== offset) { offset = mine; load(); return; }
      $("me").innerHTML = `<h2>Vị trí của bạn: hạng ${Contest.fmtNumber(d.rank)} / ${Contest.fmtNumber(d.total)}</h2><table class="rk-table"><tbody>${d.entries.map(rowHtml).join("")}</tbody></table>`;
      $("me").classList.remove("hidden");
    } catch (err) { $("me").classList.add("hidden"); }
  }
  function listen() {
    if (source) source.close();
    source = new EventSource(`/api/boards/${encodeURIComponent(boardId)}/stream`);
    source.addEventListener("hello", () => { $("status").textContent = "Đang cập nhật trực tiếp."; });
    source.addEventListener("update", (ev) => {
      const msg = JSON.parse(ev.data);
      clearTimeout(refetchTimer);
      refetchTimer = setTimeout(async () => {
        await load();
        for (const r of msg.changed || []) {
          const tr = document.querySelector(`#rows tr[data-id="${CSS.escape(r.entrant_id)}"]`);
          if (tr) { tr.classList.remove("rk-flash"); void tr.offsetWidth; tr.classList.add("rk-flash"); }
        }
      }, 150);
    });
    source.onerror = () => { $("status").textContent = "Mất kết nối trực tiếp, đang thử lại…"; };
  }
  function select(id, push) {
    boardId = id; offset = 0;
    if (push) history.pushState({}, "", `/boards/${encodeURIComponent(id)}${me && params.get("me") ? "?me=" + encodeURIComponent(me) : ""}`);
    fillPickers();
    $("csv").href = `/api/boards/${encodeURIComponent(id)}/export.csv`;
    $("xlsx").href = `/api/boards/${encodeURIComponent(id)}/export.xlsx`;
    $("screen").href = `/boards/${encodeURIComponent(id)}/screen`;
    load(); listen();
  }
  $("phase").addEventListener("change", () => {
    const b = boards.find((x) => groupOf(x) === $("phase").value && x.window === "all") || boards.find((x) => groupOf(x) === $("phase").value);
    if (b) select(b.board_id, true);
  });
  $("window").addEventListener("change", () => select($("window").value, true));
  $("find").addEventListener("submit", (ev) => { ev.preventDefault(); query = $("q").value.trim(); load(); });
  $("clear").addEventListener("click", () => { $("q").value = ""; query = ""; load(); });
  $("prev").addEventListener("click", () => { followMe = false; offset = Math.max(0, offset - PAGE); load(); });
  $("next").addEventListener("click", () => { followMe = false; offset += PAGE; load(); });
  window.addEventListener("popstate", () => { const id = pathBoard(); if (id) select(id, false); });

  (async function init() {
    try {
      const listing = await Contest.api("GET", "/api/boards", undefined, { token: null });
      boards = listing.boards; units = listing.units || {};
    } catch (err) { Contest.showError($("error"), err); return; }
    const wanted = pathBoard();
    select(wanted || (boards[0] && boards[0].board_id) || "quiz.individual.all", false);
  })();
})();
