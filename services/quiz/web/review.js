// The answer review: a participant's own attempts of a closed round, question by question.
// Text goes in with textContent only.
(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const n = document.createElement(tag); if (text !== undefined) n.textContent = text; if (cls) n.className = cls; return n; };
  const err = $("error"), out = $("attempts"), select = $("round");

  function question(q, i, recorded) {
    const box = el("div", undefined, "review-q");
    box.append(el("p", `Câu ${i + 1}. ${q.text}`));
    const list = el("ol");
    for (const o of q.options) {
      const chosen = o.key === q.chosen_key;
      let cls = "";
      if (o.correct) cls = "correct"; else if (chosen) cls = "chosen-wrong";
      let label = `${o.key}. ${o.text}`;
      if (o.correct) label += " — đáp án đúng";
      if (chosen && recorded) label += " (bạn chọn)";
      list.append(el("li", label, cls));
    }
    box.append(list);
    let verdict;
    if (q.withheld) verdict = "Đáp án câu này sẽ được công bố khi các vòng thi còn dùng câu hỏi này kết thúc.";
    else if (!recorded) verdict = "Không có bản ghi lựa chọn của bạn cho lượt thi này.";
    else if (q.chosen_key === null) verdict = "Bạn chưa trả lời câu này.";
    else verdict = q.is_correct ? "Bạn trả lời đúng." : "Bạn trả lời chưa đúng.";
    box.append(el("p", verdict, "verdict"));
    return box;
  }

  async function show(roundId) {
    err.classList.add("hidden"); out.replaceChildren();
    try {
      const res = await Contest.api("GET", `/api/rounds/${encodeURIComponent(roundId)}/review`);
      if (!res.attempts.length) { out.append(el("p", `Bạn không có lượt thi nào trong ${res.round_name}.`, "card")); return; }
      res.attempts.forEach((a, n) => {
        const card = el("section", undefined, "card");
        card.append(el("h2", `${res.round_name} – lượt ${n + 1}`));
        if (a.result) card.append(el("p", `Điểm: ${Contest.fmtScore(a.result.score)} · Đúng ${a.result.correct}/${a.result.total} câu`));
        else card.append(el("p", "Lượt thi này không được nộp trong thời gian quy định.", "muted"));
        a.questions.forEach((q, i) => card.append(question(q, i, a.choices_recorded)));
        out.append(card);
      });
    } catch (e) { Contest.showError(err, e); err.focus(); }
  }

  (async function init() {
    if (!Contest.token()) { Contest.showError(err, { message: "Vui lòng đăng nhập để xem lại bài thi của bạn." }); return; }
    try {
      const c = await Contest.api("GET", "/api/contest", undefined, { token: null });
      const now = Date.parse(c.server_time);
      const closed = c.rounds.filter((r) => Date.parse(r.closes_at) <= now);
      if (!closed.length) { Contest.showError(err, { message: "Chưa có vòng thi nào kết thúc. Đáp án được công bố sau khi vòng thi đóng." }); $("pick").classList.add("hidden"); return; }
      for (const r of closed) { const o = el("option", r.name); o.value = r.id; select.append(o); }
      const wanted = new URLSearchParams(location.search).get("round");
      if (wanted && closed.some((r) => r.id === wanted)) select.value = wanted;
      $("pick").addEventListener("submit", (ev) => { ev.preventDefault(); show(select.value); });
      show(select.value);
    } catch (e) { Contest.showError(err, e); }
  })();
})();
