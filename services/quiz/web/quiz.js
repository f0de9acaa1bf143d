// Quiz pages: landing, register, OTP login, taking an attempt, result, bank admin.
// Text goes in with textContent only; the participant token lives in localStorage (Contest.*).
(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const fmtDate = (iso) => new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  // Windows end at midnight; "00:00 09/12" reads as if 9 December were open, so an end at 00:00 is
  // written as the minute before it: "hết 23:59 ngày 08/12".
  const TZ = "Asia/Ho_Chi_Minh";
  const clock = (d) => Object.fromEntries(new Intl.DateTimeFormat("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", hourCycle: "h23" })
    .formatToParts(d).map((x) => [x.type, x.value]));
  const fmtStart = (iso) => { const p = clock(new Date(iso)); return `từ ${p.hour}:${p.minute} ngày ${p.day}/${p.month}`; };
  const fmtEnd = (iso) => {
    let p = clock(new Date(iso));
    if (p.hour === "00" && p.minute === "00") p = clock(new Date(Date.parse(iso) - 60_000));
    return `hết ${p.hour}:${p.minute} ngày ${p.day}/${p.month}`;
  };
  const fmtWindow = (w) => `${fmtStart(w.opens_at)}, ${fmtEnd(w.closes_at)}`;
  const fmtDuration = (ms) => { const s = Math.round(ms / 1000); return `${Math.floor(s / 60)} phút ${s % 60} giây`; };
  const showError = (err) => { const box = $("error"); if (box) { Contest.showError(box, err); box.focus && box.focus(); } };
  const hideError = () => { const box = $("error"); if (box) box.classList.add("hidden"); };
  const ATTEMPT_KEY = "quiz_attempt";
  const loadAttempt = () => { try { return JSON.parse(localStorage.getItem(ATTEMPT_KEY) || "null"); } catch { return null; } };
  const saveAttempt = (s) => localStorage.setItem(ATTEMPT_KEY, JSON.stringify(s));
  let contestPromise = null;
  const contest = () => (contestPromise ||= Contest.api("GET", "/api/contest", undefined, { token: null }));

  function account() {
    const p = Contest.participant();
    return p && Contest.token() ? p : null;
  }
  function fillRounds(select, c, onlyOpen) {
    for (const r of c.rounds) {
      if (onlyOpen && !r.open) continue;
      // Short, so the select is not cut off on a phone; the full window is shown under it.
      select.appendChild(el("option", { value: r.id }, `${r.name} (${fmtEnd(r.closes_at)})`));
    }
  }

  async function index() {
    const p = account();
    if (p) {
      $("cta-register").textContent = "Vào thi"; $("cta-register").href = "/quiz/take";
      $("cta-login").classList.add("hidden");
      $("welcome").textContent = `Xin chào ${p.display_name}!`; $("welcome").classList.remove("hidden");
      verifyCard(p);
    }
    try {
      const c = await contest();
      $("title").textContent = c.title; if (c.organizer) $("organizer").textContent = `${c.organizer} phát động`;
      const rules = c.quiz;
      $("rule-count").textContent = rules.question_count;
      $("rule-free").textContent = c.free_question.kind === "prediction" ? "dự đoán" : "tự luận";
      $("rule-points").textContent = Contest.fmtScore(rules.points_per_correct);
      $("rule-time").textContent = `${Math.round(rules.time_limit_seconds / 60)} phút`;
      $("rule-attempts").textContent = rules.attempts_per_round;
      const pw = $("phase-windows");
      for (const ph of c.phases) pw.appendChild(el("li", {}, `${ph.name}: ${fmtWindow(ph)}${ph.open ? " (đang diễn ra)" : ""}`));
      const list = $("rounds"); list.textContent = "";
      for (const r of c.rounds) {
        const li = el("li");
        li.appendChild(el("b", {}, r.name + " "));
        li.appendChild(el("span", { class: "badge" + (r.open ? " open" : "") }, r.open ? "Đang mở" : (new Date(r.opens_at) > new Date() ? "Sắp mở" : "Đã kết thúc")));
        li.appendChild(el("span", { class: "muted" }, ` ${fmtWindow(r)} `));
        if (r.open) li.appendChild(el("a", { href: `/quiz/take?round=${encodeURIComponent(r.id)}` }, "Thi ngay"));
        list.appendChild(li);
      }
    } catch (e) { showError(e); }
  }

  // Phone verification: a one-time code to the participant's own phone; the new token (claim `pv`)
  // makes their likes count and, when the contest requires it, lets them start an attempt.
  async function verifyCard(p) {
    let me;
    try { me = await Contest.api("GET", "/api/participants/me"); } catch (e) { return; }
    if (me.phone_verified) return;
    const card = el("section", { class: "card", id: "verify", "aria-labelledby": "verify-title" });
    card.appendChild(el("h2", { id: "verify-title" }, "Xác minh số điện thoại"));
    card.appendChild(el("p", {}, `Để lượt thích sáng kiến của bạn được tính, hãy xác minh số ${me.masked_phone} bằng mã OTP gửi qua tin nhắn.`));
    const send = el("button", { type: "button", id: "verify-send" }, "Gửi mã OTP");
    const form = el("form", { id: "verify-form", class: "hidden", novalidate: "" });
    form.appendChild(el("label", { for: "verify-code" }, "Mã OTP (6 chữ số)"));
    form.appendChild(el("input", { id: "verify-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", required: "" }));
    form.appendChild(el("button", { type: "submit" }, "Xác nhận"));
    const status = el("p", { id: "verify-status", role: "status" });
    card.append(send, form, status);
    document.querySelector(".hero").after(card);
    send.addEventListener("click", async () => {
      hideError(); send.disabled = true;
      try {
        const res = await Contest.api("POST", "/api/participants/me/otp");
        status.textContent = `Mã OTP đã được gửi tới ${res.masked_phone}, có hiệu lực ${Math.round(res.expires_in / 60)} phút.`;
        form.classList.remove("hidden"); $("verify-code").focus();
      } catch (e) { showError(e); } finally { send.disabled = false; }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); hideError();
      try {
        const res = await Contest.api("POST", "/api/participants/me/verify", { code: $("verify-code").value });
        Contest.saveParticipant({ participant_id: res.participant_id, display_name: res.display_name, unit_id: res.unit_id }, res.token);
        send.remove(); form.remove();
        status.textContent = "Đã xác minh số điện thoại. Cảm ơn bạn!";
      } catch (e) { showError(e); }
    });
  }

  async function register() {
    account();
    try {
      const c = await contest();
      for (const u of c.units) $("unit_id").appendChild(el("option", { value: u.id }, u.name));
    } catch (e) { showError(e); }
    $("form").addEventListener("submit", async (ev) => {
      ev.preventDefault(); hideError();
      const body = { full_name: $("full_name").value, phone: $("phone").value, unit_id: $("unit_id").value };
      if (!body.full_name.trim()) return showError({ message: "Vui lòng nhập họ và tên." });
      if (!body.phone.trim()) return showError({ message: "Vui lòng nhập số điện thoại." });
      if (!body.unit_id) return showError({ message: "Vui lòng chọn xã, thị trấn hoặc cơ quan." });
      if ($("birth_year").value) body.birth_year = Number($("birth_year").value);
      $("submit").disabled = true;
      try {
        const res = await Contest.api("POST", "/api/participants", body, { token: null });
        Contest.saveParticipant({ participant_id: res.participant_id, display_name: res.display_name, unit_id: res.unit_id }, res.token);
        location.href = "/quiz/take";
      } catch (e) {
        if (e.code === "phone_registered") {
          // the server has sent that phone a login code: go on where it is entered (the phone stays
          // in this tab's sessionStorage, not in the URL)
          sessionStorage.setItem("otp_phone", body.phone);
          location.href = "/quiz/login"; return;
        }
        showError(e);
      } finally { $("submit").disabled = false; }
    });
  }

  async function login() {
    account();
    const pending = sessionStorage.getItem("otp_phone");
    if (pending) {
      sessionStorage.removeItem("otp_phone");
      $("phone").value = pending;
      $("sent").textContent = "Số điện thoại này đã được đăng ký. Nếu đó là số của bạn, mã OTP đã được gửi tới số này: nhập mã để đăng nhập.";
      $("login-form").classList.remove("hidden");
    }
    $("otp-form").addEventListener("submit", async (ev) => {
      ev.preventDefault(); hideError();
      try {
        const res = await Contest.api("POST", "/api/participants/otp", { phone: $("phone").value }, { token: null });
        $("sent").textContent = `${res.message} (${res.masked_phone})`;
        $("login-form").classList.remove("hidden"); $("code").focus();
      } catch (e) { showError(e); }
    });
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault(); hideError();
      try {
        const res = await Contest.api("POST", "/api/participants/login", { phone: $("phone").value, code: $("code").value }, { token: null });
        Contest.saveParticipant({ participant_id: res.participant_id, display_name: res.display_name, unit_id: res.unit_id }, res.token);
        location.href = "/quiz/take";
      } catch (e) { showError(e); }
    });
  }

  // --- taking an attempt ---------------------------------------------------------------------
  async function take() {
    const p = account();
    if (!p) { location.href = "/quiz/register"; return; }
    const KEY = QuizAttempt.KEY;
    let state = loadAttempt();
    if (state && state.participant_id !== p.participant_id) state = null;
    if (state) {
      try {
        const fresh = await Contest.api("GET", `/api/attempts/${encodeURIComponent(state.attempt.attempt_id)}`);
        if (fresh.status === "submitted") { localStorage.removeItem(KEY); location.href = `/quiz/result?attempt=${encodeURIComponent(fresh.attempt_id)}`; return; }
        // Still open, even past the deadline: the page submits (or the server closes it with what it saved).
        if (fresh.status === "open") { mergeSaved(state, fresh); return QuizAttempt.run(state); }
      } catch (e) {
        if (e.status === 0 || e.status === 429 || e.status >= 500) return QuizAttempt.run(state);  // offline: carry on from this device
      }
      localStorage.removeItem(KEY);
    }
    const select = $("round");
    let used = {}, limit = null, contestRounds = [];
    const allowance = () => {
      const r = contestRounds.find((x) => x.id === select.value);
      $("round-window").textContent = r ? `${r.name}: ${fmtWindow(r)}.` : "";
      if (limit === null) return;
      const left = Math.max(0, limit - (used[select.value] || 0));
      $("allowance").textContent = left ? `Bạn còn ${left}/${limit} lượt thi ở vòng này.` : `Bạn đã dùng hết ${limit} lượt thi của vòng này. Hẹn gặp lại bạn ở vòng thi tiếp theo!`;
      $("start").disabled = !left;
    };
    try {
      const c = await contest();
      contestRounds = c.rounds;
      fillRounds(select, c, true);
      const wanted = new URLSearchParams(location.search).get("round");
      if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
      if (!select.options.length) { $("intro-text").textContent = "Hiện chưa có vòng thi nào đang mở. Vui lòng xem lịch thi trên trang chủ."; $("start").disabled = true; return; }
      $("intro-text").textContent = `Bài thi gồm ${c.quiz.question_count} câu trắc nghiệm và 1 câu ${c.free_question.kind === "prediction" ? "dự đoán" : "tự luận"}, làm trong ${Math.round(c.quiz.time_limit_seconds / 60)} phút. Đồng hồ bắt đầu chạy khi bạn bấm “Bắt đầu làm bài”.`;
      $("allowance").textContent = `Mỗi vòng được thi tối đa ${c.quiz.attempts_per_round} lượt.`;
      allowance();
      const me = await Contest.api("GET", "/api/participants/me").catch(() => null);
      if (me) { limit = me.attempts_per_round; used = Object.fromEntries(me.rounds.map((r) => [r.round_id, r.used])); allowance(); }
    } catch (e) { showError(e); }
    select.addEventListener("change", allowance);
    $("start").addEventListener("click", async () => {
      hideError(); $("start").disabled = true;
      try {
        const attempt = await Contest.api("POST", "/api/attempts", { round_id: select.value });
        state = newState(p, attempt); saveAttempt(state); QuizAttempt.run(state);
      } catch (e) {
        if (e.code === "attempt_open" && e.details && e.details.attempt_id) {
          try {
            const attempt = await Contest.api("GET", `/api/attempts/${encodeURIComponent(e.details.attempt_id)}`);
            state = newState(p, attempt); mergeSaved(state, attempt); saveAttempt(state); return QuizAttempt.run(state);
          } catch (e2) { showError(e2); }
        } else if (e.code === "phone_unverified") {
          showError({ message: e.message + " Mục “Xác minh số điện thoại” ở Trang chủ." });
        } else if (e.code === "attempt_limit") {
          showError({ message: e.message + " Bạn có thể xem kết quả trên bảng xếp hạng." });
          used[select.value] = limit || Infinity; return allowance();
        } else { showError(e); }
        $("start").disabled = false;
      }
    });
  }
  function newState(p, attempt) {
    return { participant_id: p.participant_id, attempt, answers: {}, free: "", offset: Date.parse(attempt.server_time) - Date.now() };
  }
  // Answers the server saved (another device, a cleared browser) fill the gaps of this one.
  function mergeSaved(state, fresh) {
    state.attempt.deadline = fresh.deadline;  // the server's clock and deadline are the ones that count
    state.offset = Date.parse(fresh.server_time) - Date.now();
    for (const [qid, key] of Object.entries(fresh.saved_answers || {})) if (key && !state.answers[qid]) state.answers[qid] = key;
    if (!state.free && fresh.saved_free_answer) state.free = fresh.saved_free_answer;
  }

  async function result() {
    const p = account();
    const id = new URLSearchParams(location.search).get("attempt");
    if (!p || !id) { showError({ message: "Không tìm thấy lượt thi. Hãy đăng nhập và thử lại." }); return; }
    try {
      const a = await Contest.api("GET", `/api/attempts/${encodeURIComponent(id)}`);
      if (!a.result) { showError({ message: "Lượt thi này chưa được nộp." }); return; }
      const r = a.result;
      $("score").textContent = Contest.fmtScore(r.score);
      $("correct").textContent = `${r.correct}/${r.total}`;
      $("duration").textContent = fmtDuration(r.duration_ms);
      const c = await contest().catch(() => null);
      const rnd = c && c.rounds.find((x) => x.id === a.round_id);
      $("round").textContent = rnd ? rnd.name : a.round_id;
      $("board").href = `/boards/quiz.individual.all?me=${encodeURIComponent(p.participant_id)}`;
      if (r.closed_by === "server") $("closed-note").classList.remove("hidden");
      // "Thi lượt khác" only while the round is open and an attempt is left.
      const me = await Contest.api("GET", "/api/participants/me").catch(() => null);
      const used = me && (me.rounds.find((x) => x.round_id === a.round_id) || { used: 0 }).used;
      const left = me ? Math.max(0, me.attempts_per_round - used) : null;
      const again = $("again");
      if (left === 0 || (rnd && !rnd.open)) again.remove();
      else if (left) again.href = `/quiz/take?round=${encodeURIComponent(a.round_id)}`;
      if (left !== null) $("attempts-left").textContent = left ? `Bạn còn ${left}/${me.attempts_per_round} lượt thi ở vòng này.` : `Bạn đã dùng hết ${me.attempts_per_round} lượt thi của vòng này. Hẹn gặp lại bạn ở vòng thi tiếp theo!`;
      $("result").classList.remove("hidden");
    } catch (e) { showError(e); }
  }

  // --- organizers: bank import ---------------------------------------------------------------
  async function admin() {
    const token = $("token");
    token.value = sessionStorage.getItem("admin_token") || "";
    token.addEventListener("change", () => sessionStorage.setItem("admin_token", token.value));
    try { fillRounds($("round"), await contest(), false); } catch (e) { showError(e); }
    async function versions() {
      hideError();
      try {
        const res = await Contest.api("GET", "/api/admin/questions", undefined, { token: token.value });
        const body = $("versions"); body.textContent = "";
        for (const v of res.versions) {
          const tr = el("tr");
          for (const cell of [v.version, v.round_id || "Tất cả", v.question_count, v.source, fmtDate(v.created_at)]) tr.appendChild(el("td", {}, String(cell)));
          body.appendChild(tr);
        }
        $("versions-box").classList.remove("hidden");
      } catch (e) { showError(e); }
    }
    $("refresh").addEventListener("click", versions);
    $("form").addEventListener("submit", async (ev) => {
      ev.preventDefault(); hideError(); $("ok").classList.add("hidden"); $("errors-box").classList.add("hidden");
      const file = $("file").files[0];
      if (!token.value) return showError({ message: "Vui lòng nhập mã quản trị." });
      if (!file) return showError({ message: "Vui lòng chọn tệp câu hỏi." });
      sessionStorage.setItem("admin_token", token.value);
      const form = new FormData(); form.append("file", file);
      const round = $("round").value;
      $("upload").disabled = true;
      try {
        const res = await Contest.api("POST", "/api/admin/questions" + (round ? `?round_id=${encodeURIComponent(round)}` : ""), form, { token: token.value });
        $("ok").textContent = `Đã nhập ${res.question_count} câu hỏi (phiên bản ${res.version}). Các lượt thi đang diễn ra vẫn dùng phiên bản cũ.`;
        $("ok").classList.remove("hidden");
        versions();
      } catch (e) {
        showError(e);
        if (Array.isArray(e.details)) {
          const body = $("errors"); body.textContent = "";
          for (const d of e.details) {
            const tr = el("tr");
            for (const cell of [d.row || "—", d.field, d.message]) tr.appendChild(el("td", {}, String(cell)));
            body.appendChild(tr);
          }
          $("errors-box").classList.remove("hidden");
        }
      } finally { $("upload").disabled = false; }
    });
  }

  window.QuizPages = { index, register, login, take, result, admin };
  // The page names its function in <body data-page> (no inline script: the CSP forbids it).
  const run = window.QuizPages[document.body.dataset.page];
  if (run) run();
})();
