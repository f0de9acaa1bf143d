// The organizers' dashboard: reads /api/admin/quiz/stats/* with the admin token (kept for this tab
// only, like the other organizer pages) and redraws every 30 seconds.
(function () {
  const $ = (id) => document.getElementById(id);
  const fmt = Charts.fmt;
  const pct = new Intl.NumberFormat("vi-VN", { style: "percent", maximumFractionDigits: 0 });
  const FLAGS = { nobody_right: "Không ai trả lời đúng", everybody_right: "Ai cũng trả lời đúng",
                  never_chosen: "Có phương án không ai chọn" };
  const REFRESH_MS = 30000;
  let token = sessionStorage.getItem("admin_token");
  let roundsFilled = false;

  const get = (path) => Contest.api("GET", "/api/admin/quiz/stats/" + path, undefined, { token });
  function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
  function when(at, bucket) {
    const [d, t] = at.split("T"), [, m, day] = d.split("-");
    return bucket === "hour" ? `${t.slice(0, 2)}h ${day}/${m}` : `${day}/${m}`;
  }

  function drawTime(data) {
    const points = data.points.map((p) => ({ label: when(p.at, data.bucket), value: p.attempts, line: p.participants }));
    const total = data.points.reduce((s, p) => s + p.attempts, 0);
    Charts.columns($("c-time"), points, {
      label: `Lượt thi theo ${data.bucket === "hour" ? "giờ" : "ngày"}: tổng ${fmt.format(total)} lượt trong ${points.length} ${data.bucket === "hour" ? "giờ" : "ngày"} có người thi` });
  }

  function drawUnits(data) {
    const places = data.units.filter((u) => u.kind !== "agency");
    const known = places.some((u) => u.per_1000_residents !== null);
    const rows = places.map((u) => known
      ? { label: u.name, value: u.per_1000_residents || 0, text: u.per_1000_residents === null ? "chưa có số dân" : fmt.format(u.per_1000_residents) + " ‰ · " + fmt.format(u.participants) + " người" }
      : { label: u.name, value: u.participants, text: fmt.format(u.participants) + " người" });
    rows.sort((a, b) => b.value - a.value);
    $("units-note").textContent = known
      ? "Số người đã thi trên 1.000 dân của mỗi xã, thị trấn."
      : `Tệp cấu hình chưa có số dân của từng xã, thị trấn nên biểu đồ cho biết số người đã thi; toàn huyện: ${fmt.format(data.total.per_1000_residents || 0)} người trên 1.000 dân.`;
    Charts.rows($("c-units"), rows, { label: (known ? "Người thi trên 1.000 dân" : "Số người thi") + ` của ${rows.length} xã, thị trấn` });
    $("t-people").textContent = fmt.format(data.total.participants);
    $("t-rate").textContent = data.total.per_1000_residents === null ? "–" : fmt.format(data.total.per_1000_residents);
  }

  function drawRounds(data) {
    Charts.rows($("c-rounds"), data.rounds.map((r) => ({
      label: r.name, value: r.attempts,
      text: `${fmt.format(r.attempts)} lượt · điểm TB ${r.avg_score === null ? "–" : fmt.format(r.avg_score)}` })),
    { label: "Số lượt thi và điểm trung bình theo vòng", labelW: 160 });
    $("rounds").replaceChildren(...data.rounds.map((r) => {
      const tr = document.createElement("tr");
      tr.append(cell(r.name + (r.open ? " (đang mở)" : "")), cell(fmt.format(r.attempts)), cell(fmt.format(r.participants)),
        cell(r.avg_score === null ? "–" : fmt.format(r.avg_score)), cell(r.avg_correct === null ? "–" : `${fmt.format(r.avg_correct)}/${data.question_count}`),
        cell(fmt.format(r.open_attempts)));
      return tr;
    }));
    $("t-attempts").textContent = fmt.format(data.rounds.reduce((s, r) => s + r.attempts, 0));
    if (!roundsFilled) {
      for (const r of data.rounds) $("item-round").append(new Option(r.name, r.round_id));
      roundsFilled = true;
    }
  }

  const LEVELS = { easy: "dễ", medium: "trung bình", hard: "khó" };
  // The declared level beside the one the answers suggest, so a question can be re-levelled between rounds.
  function levels(q) {
    const declared = LEVELS[q.declared_level] || "chưa khai báo";
    if (!q.observed_level) return declared;
    const seen = LEVELS[q.observed_level];
    return q.observed_level === q.declared_level ? `${declared} (đúng như khai báo)` : `${declared} → ${seen}`;
  }

  function drawItems(data) {
    const s = data.summary;
    $("items-summary").textContent = `${fmt.format(s.answers)} câu trả lời cho ${s.questions} câu hỏi: ` +
      `${s.nobody_right} câu không ai đúng, ${s.everybody_right} câu ai cũng đúng, ${s.never_chosen} câu có phương án không ai chọn ` +
      `(xét các câu đã ra từ ${data.min_served} lần).`;
    $("t-flags").textContent = fmt.format(data.questions.filter((q) => q.flags.length).length);
    const served = data.questions.filter((q) => q.served > 0);
    Charts.rows($("c-items"), served.map((q) => ({
      label: q.question_id, value: q.share_correct * 100, text: pct.format(q.share_correct) + " đúng",
      cls: q.flags.includes("nobody_right") ? "bad" : q.flags.includes("everybody_right") ? "easy" : "" })),
    { label: `Tỉ lệ trả lời đúng của ${served.length} câu hỏi đã ra, câu khó nhất trước`, max: 100, labelW: 120, rowH: 22 });
    $("items").replaceChildren(...data.questions.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.id = q.question_id;
      const opts = document.createElement("td");
      for (const o of q.options) {
        const span = document.createElement(o.is_answer ? "strong" : "span");
        span.textContent = `${o.key}. ${o.text} (${fmt.format(o.chosen)})`;
        if (o.chosen === 0) span.className = "db-never";
        opts.append(span, document.createElement("br"));
      }
      tr.append(cell(`${q.question_id} – ${q.text}`), cell(fmt.format(q.served)),
        cell(q.share_correct === null ? "chưa ra" : pct.format(q.share_correct)), cell(levels(q)), opts,
        cell(q.flags.map((f) => FLAGS[f]).join("; "), q.flags.length ? "db-flag" : ""));
      return tr;
    }));
  }

  async function refresh() {
    try {
      const round = $("item-round").value;
      const [time, units, rounds, items] = await Promise.all([
        get(`participation?bucket=${$("bucket").value}`), get("units"), get("rounds"),
        get("items" + (round ? `?round_id=${encodeURIComponent(round)}` : "")),
      ]);
      $("error").classList.add("hidden");
      $("board").classList.remove("hidden");
      drawTime(time); drawUnits(units); drawRounds(rounds); drawItems(items);
      $("updated").textContent = "Cập nhật lúc " + new Date().toLocaleTimeString("vi-VN") + " · tự làm mới mỗi 30 giây";
    } catch (err) {
      if (err.status === 401 || err.status === 403) { sessionStorage.removeItem("admin_token"); token = null; $("login").classList.remove("hidden"); $("board").classList.add("hidden"); }
      Contest.showError($("error"), err);
    }
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = $("token").value.trim();
    if (!token) return;
    sessionStorage.setItem("admin_token", token);
    $("login").classList.add("hidden");
    refresh();
  });
  $("bucket").addEventListener("change", refresh);
  $("item-round").addEventListener("change", refresh);
  if (token) refresh(); else $("login").classList.remove("hidden");
  setInterval(() => { if (token) refresh(); }, REFRESH_MS);
})();
