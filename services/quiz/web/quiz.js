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
      select.appendChild(el("option", { value: r.id }, `${r.name} (${fmtDate(r.opens_at)} – ${fmtDate(r.closes_at)})`));
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
      for (const ph of c.phases) pw.appendChild(el("li", {}, `${ph.name}: ${fmtDate(ph.opens_at)} – ${fmtDate(ph.closes_at)}${ph.open ? " (đang diễn ra)" : ""}`));
      const list = $("rounds"); list.textContent = "";
      for (const r of c.rounds) {
        const li = el("li");
        li.appendChild(el("b", {}, r.name + " "));
        li.appendChild(el("span", { class: "badge" + (r.open ? " open" : "") }, r.open ? "Đang mở" : (new Date(r.opens_at) > new Date() ? "Sắp mở" : "Đã kết thúc")));
        li.appendChild(el("span", { class: "muted" }, ` ${fmtDate(r.opens_at)} – ${fmtDate(r.closes_at)} `));
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
    let state = loadAttempt();
    if (state && state.participant_id !== p.participant_id) state = null;
    if (state) {
      try {
        const fresh = await Contest.api("GET", `/api/attempts/${encodeURIComponent(state.attempt.attempt_id)}`);
        if (fresh.status === "submitted") { localStorage.removeItem(ATTEMPT_KEY); location.href = `/quiz/result?attempt=${encodeURIComponent(fresh.attempt_id)}`; return; }
        if (fresh.status === "open" && new Date(fresh.deadline) > serverNow(state)) { return runAttempt(state); }
      } catch (e) { /* fall through to a new attempt */ }
      localStorage.removeItem(ATTEMPT_KEY);
    }
    try {
      const c = await contest();
      const select = $("round"); fillRounds(select, c, true);
      const wanted = new URLSearchParams(location.search).get("round");
      if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
      if (!select.options.length) { $("intro-text").textContent = "Hiện chưa có vòng thi nào đang mở. Vui lòng xem lịch thi trên trang chủ."; $("start").disabled = true; return; }
      $("intro-text").textContent = `Bài thi gồm ${c.quiz.question_count} câu trắc nghiệm và 1 câu ${c.free_question.kind === "prediction" ? "dự đoán" : "tự luận"}, làm trong ${Math.round(c.quiz.time_limit_seconds / 60)} phút. Đồng hồ bắt đầu chạy khi bạn bấm “Bắt đầu làm bài”.`;
      $("allowance").textContent = `Mỗi vòng được thi tối đa ${c.quiz.attempts_per_round} lượt.`;
    } catch (e) { showError(e); }
    $("start").addEventListener("click", async () => {
      hideError(); $("start").disabled = true;
      try {
        const attempt = await Contest.api("POST", "/api/attempts", { round_id: $("round").value });
        state = newState(p, attempt); saveAttempt(state); runAttempt(state);
      } catch (e) {
        if (e.code === "attempt_open" && e.details && e.details.attempt_id) {
          try {
            const attempt = await Contest.api("GET", `/api/attempts/${encodeURIComponent(e.details.attempt_id)}`);
            state = newState(p, attempt); saveAttempt(state); return runAttempt(state);
          } catch (e2) { showError(e2); }
        } else if (e.code === "phone_unverified") {
          showError({ message: e.message + " Mục “Xác minh số điện thoại” ở Trang chủ." });
        } else if (e.code === "attempt_limit") {
          showError({ message: e.message + " Bạn có thể xem kết quả trên bảng xếp hạng." });
        } else { showError(e); }
        $("start").disabled = false;
      }
    });
  }
  function newState(p, attempt) {
    return { participant_id: p.participant_id, attempt, answers: {}, free: "", offset: Date.parse(attempt.server_time) - Date.now() };
  }
  function serverNow(state) { return new Date(Date.now() + (state.offset || 0)); }

  function runAttempt(state) {
    const a = state.attempt, total = a.questions.length;
    $("intro").classList.add("hidden"); $("quiz").classList.remove("hidden"); $("bar").classList.remove("hidden");
    $("progress").max = total;
    const box = $("questions"); box.textContent = "";
    a.questions.forEach((q, i) => {
      const fs = el("fieldset", { class: "question", id: `q-${i}` });
      fs.appendChild(el("legend", {}, `Câu ${i + 1}/${total}. ${q.text}`));
      for (const o of q.options) {
        const id = `q-${i}-${o.key}`;
        const label = el("label", { class: "option", for: id });
        const input = el("input", { type: "radio", name: `q-${i}`, id, value: o.key });
        if (state.answers[q.question_id] === o.key) input.checked = true;
        input.addEventListener("change", () => { state.answers[q.question_id] = o.key; saveAttempt(state); progress(); });
        label.appendChild(input); label.appendChild(el("span", {}, o.text));
        fs.appendChild(label);
      }
      box.appendChild(fs);
    });
    const fq = a.free_question;
    $("free-legend").textContent = fq.kind === "prediction" ? "Câu hỏi dự đoán" : "Câu hỏi tự luận";
    $("free-label").textContent = fq.text;
    let free = $("free");
    if (fq.kind === "prediction") {
      const input = el("input", { id: "free", type: "number", inputmode: "numeric", min: "0", step: "1" });
      free.replaceWith(input); free = input;
    }
    free.value = state.free || "";
    free.addEventListener("input", () => { state.free = free.value; saveAttempt(state); });
    function progress() {
      const n = Object.keys(state.answers).length;
      $("progress").value = n; $("progress-text").textContent = `Đã trả lời ${n}/${total}`;
    }
    progress();
    let sent = false;
    const deadline = Date.parse(a.deadline);
    let timer = null;
    const tick = () => {
      const left = Math.max(0, deadline - serverNow(state).getTime());
      const s = Math.ceil(left / 1000);
      $("timer").textContent = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
      $("timer").classList.toggle("low", s <= 60);
      if (left <= 0 && !sent) { clearInterval(timer); submit(true); }
    };
    timer = setInterval(tick, 250);
    tick();
    async function submit(auto) {
      if (sent) return;
      const missing = total - Object.keys(state.answers).length;
      if (!auto && missing > 0 && !confirm(`Bạn còn ${missing} câu chưa trả lời. Vẫn nộp bài?`)) return;
      sent = true; $("submit").disabled = true; hideError();
      const answers = a.questions.map((q) => ({ question_id: q.question_id, option_key: state.answers[q.question_id] ?? null }));
      let freeAnswer = state.free && state.free.trim() ? state.free : null;
      if (freeAnswer !== null && fq.kind === "prediction") freeAnswer = Number(freeAnswer);
      try {
        await Contest.api("POST", `/api/attempts/${encodeURIComponent(a.attempt_id)}/submit`, { answers, free_answer: freeAnswer });
        clearInterval(timer); localStorage.removeItem(ATTEMPT_KEY);
        location.href = `/quiz/result?attempt=${encodeURIComponent(a.attempt_id)}`;
      } catch (e) {
        if (e.code === "attempt_expired") { localStorage.removeItem(ATTEMPT_KEY); clearInterval(timer); }
        else { sent = false; $("submit").disabled = false; }
        showError(e);
      }
    }
    $("quiz").addEventListener("submit", (ev) => { ev.preventDefault(); submit(false); });
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
