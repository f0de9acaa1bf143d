// Taking an attempt on a weak network. Every answer is kept in localStorage at once and saved to
// the server as it is chosen (PATCH …/answers, one request in flight, numbered so an old retry never
// beats a newer answer). The submission is queued in localStorage too and retried with back-off
// until the server answers, also after a reload; the server closes an attempt nobody could submit
// with what it saved. Text goes in with textContent only.
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "quiz_attempt";
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // Network down, server overloaded or restarting: try again later. Anything else is an answer.
  const retryable = (e) => e.status === 0 || e.status === 429 || e.status >= 500;
  const backoff = (n) => Math.min(30_000, 1000 * 2 ** Math.min(n, 5)) * (0.75 + Math.random() / 2);
  const OFFLINE = "Mất kết nối mạng. Câu trả lời vẫn được giữ trên máy này và sẽ được gửi lên khi có mạng trở lại.";
  const OFFLINE_QUEUED = "Mất kết nối mạng. Bài làm đã được giữ trên máy này và sẽ tự động nộp khi có mạng trở lại — đừng đóng trang.";
  const BUSY = "Máy chủ đang bận. Bài làm vẫn được giữ trên máy này; hệ thống sẽ tự thử lại.";

  function run(state) {
    const a = state.attempt, total = a.questions.length, fq = a.free_question;
    const url = (tail) => `/api/attempts/${encodeURIComponent(a.attempt_id)}${tail}`;
    state.pending ||= {};
    const persist = () => {
      try { localStorage.setItem(KEY, JSON.stringify(state)); } catch { /* storage full or off: the server copy still counts */ }
    };
    const serverNow = () => Date.now() + (state.offset || 0);
    const nextSeq = () => (state.seq = Math.max(Date.now(), (state.seq || 0) + 1));

    $("intro").classList.add("hidden"); $("quiz").classList.remove("hidden"); $("bar").classList.remove("hidden");
    $("progress").max = total;

    // --- the bar: time warnings (announced) and a jump to the next unanswered question ---------
    const bar = $("bar");
    const warning = el("p", { id: "time-warning", class: "time-warning hidden", role: "status", "aria-live": "assertive" });
    const jump = el("button", { type: "button", id: "jump", class: "secondary jump" }, "Câu chưa trả lời");
    bar.appendChild(jump); bar.appendChild(warning);

    // --- questions ---------------------------------------------------------------------------
    const box = $("questions"); box.textContent = "";
    a.questions.forEach((q, i) => {
      const fs = el("fieldset", { class: "question", id: `q-${i}` });
      fs.appendChild(el("legend", {}, `Câu ${i + 1}/${total}. ${q.text}`));
      for (const o of q.options) {
        const id = `q-${i}-${o.key}`;
        const label = el("label", { class: "option", for: id });
        const input = el("input", { type: "radio", name: `q-${i}`, id, value: o.key });
        if (state.answers[q.question_id] === o.key) input.checked = true;
        input.addEventListener("change", () => {
          state.answers[q.question_id] = o.key; state.pending[q.question_id] = nextSeq(); persist(); progress(); save();
        });
        label.appendChild(input); label.appendChild(el("span", {}, o.text));
        fs.appendChild(label);
      }
      box.appendChild(fs);
    });
    $("free-legend").textContent = fq.kind === "prediction" ? "Câu hỏi dự đoán" : "Câu hỏi tự luận";
    $("free-label").textContent = fq.text;
    let free = $("free");
    if (fq.kind === "prediction") {
      const input = el("input", { id: "free", type: "number", inputmode: "numeric", min: "0", step: "1" });
      free.replaceWith(input); free = input;
    }
    free.value = state.free || "";
    let freeTimer = null;
    free.addEventListener("input", () => {
      state.free = free.value; state.freeSeq = nextSeq(); persist();
      clearTimeout(freeTimer); freeTimer = setTimeout(save, 1500);  // typing: one save per pause
    });
    const freeValue = () => {
      const v = state.free && String(state.free).trim() ? state.free : null;
      return v !== null && fq.kind === "prediction" ? Number(v) : v;
    };
    const unanswered = () => a.questions.map((q, i) => [q, i]).filter(([q]) => !state.answers[q.question_id]);
    function progress() {
      const n = total - unanswered().length;
      $("progress").value = n; $("progress-text").textContent = `Đã trả lời ${n}/${total}`;
      const left = total - n;
      jump.textContent = left ? `Câu chưa trả lời (${left})` : "Đã trả lời hết";
      jump.disabled = !left;
    }
    jump.addEventListener("click", () => {
      const open = unanswered();
      if (!open.length) return;
      const here = window.scrollY + bar.offsetHeight + 8;
      const next = open.find(([, i]) => $(`q-${i}`).getBoundingClientRect().top + window.scrollY > here) || open[0];
      const fs = $(`q-${next[1]}`);
      fs.scrollIntoView({ block: "start" });
      window.scrollBy(0, -bar.offsetHeight - 8);
      fs.querySelector("input").focus({ preventScroll: true });
    });
    progress();

    // --- the connection banner --------------------------------------------------------------
    const banner = $("net");
    let down = false;
    function network(ok, busy) {
      down = !ok;
      banner.textContent = ok ? (busy ? BUSY : "") : (state.submission ? OFFLINE_QUEUED : OFFLINE);
      banner.classList.toggle("hidden", ok && !busy);
    }
    window.addEventListener("offline", () => network(false));
    window.addEventListener("online", () => { network(true); retryNow(); });

    // --- saving answers as they are chosen --------------------------------------------------
    // At most one save in flight and one per SAVE_GAP ms (answers chosen meanwhile go together),
    // well inside the server's per-participant rate limit however fast someone taps.
    const SAVE_GAP = 1500;
    let saving = null, saveFailures = 0, saveTimer = null, closed = false, lastSave = 0;
    function save() {
      if (!saving) saving = saveOnce().finally(() => { saving = null; });
      return saving;
    }
    async function saveOnce() {
      clearTimeout(saveTimer); saveTimer = null;
      if (closed) return;
      const qids = Object.keys(state.pending), freeSeq = state.freeSeq;
      if (!qids.length && !freeSeq) return;
      const wait = lastSave + SAVE_GAP - Date.now();
      if (wait > 0) { saveTimer = setTimeout(save, wait); return; }
      lastSave = Date.now();
      const body = { answers: qids.map((qid) => ({ question_id: qid, option_key: state.answers[qid] ?? null, seq: state.pending[qid] })) };
      if (freeSeq) body.free_answer = { value: freeValue(), seq: freeSeq };
      try {
        await Contest.api("PATCH", url("/answers"), body);
        for (const b of body.answers) if (state.pending[b.question_id] === b.seq) delete state.pending[b.question_id];
        if (state.freeSeq === freeSeq) delete state.freeSeq;
        persist(); saveFailures = 0;
        if (down || !banner.classList.contains("hidden")) network(true);
      } catch (e) {
        if (retryable(e)) {
          saveFailures += 1; network(e.status !== 0, false);  // a busy server only delays saving: no alarm
          saveTimer = setTimeout(save, backoff(saveFailures));
        } else if (e.status === 409) {
          closed = true;  // closed or past the time: the submit (or the server) decides what counts
        } else {
          state.pending = {}; delete state.freeSeq; persist();  // refused as invalid: resending can't help
        }
      }
      if (!saveTimer && !closed && (Object.keys(state.pending).length || (state.freeSeq && state.freeSeq !== freeSeq))) {
        saveTimer = setTimeout(save, SAVE_GAP);
      }
    }

    // --- the timer ---------------------------------------------------------------------------
    const deadline = Date.parse(a.deadline);
    const warned = new Set();
    const WARNINGS = [[60, "Còn 1 phút! Hãy kiểm tra lại và nộp bài."], [300, "Còn 5 phút làm bài."]];
    let timer = null;
    const tick = () => {
      const left = Math.max(0, deadline - serverNow());
      const s = Math.ceil(left / 1000);
      $("timer").textContent = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
      $("timer").classList.toggle("low", s <= 60);
      const due = WARNINGS.find(([limit]) => s > 0 && s <= limit);
      if (due && !warned.has(due[0])) {
        for (const [limit] of WARNINGS) if (limit >= due[0]) warned.add(limit);  // never the 5 after the 1
        warning.textContent = due[1]; warning.classList.remove("hidden"); warning.classList.toggle("urgent", due[0] === 60);
      }
      if (left <= 0 && !state.submission) { clearInterval(timer); submit(true); }
    };

    // --- the submission: queued, then retried until the server answers ----------------------
    const status = $("submit-status");
    const say = (text, alert) => { status.textContent = text; status.classList.toggle("error", !!alert); status.setAttribute("role", alert ? "alert" : "status"); };
    let sending = false, sendFailures = 0, sendTimer = null;
    async function send() {
      clearTimeout(sendTimer); sendTimer = null;
      if (sending || !state.submission) return;
      sending = true; $("submit").disabled = true; say("Đang nộp bài…");
      // The submission carries every answer: no more saves, and none landing after it.
      closed = true; clearTimeout(saveTimer);
      if (saving) await saving;
      try {
        await Contest.api("POST", url("/submit"), state.submission);
        clearInterval(timer); localStorage.removeItem(KEY);
        location.href = `/quiz/result?attempt=${encodeURIComponent(a.attempt_id)}`;
        return;
      } catch (e) {
        if (retryable(e)) {
          sendFailures += 1; network(e.status !== 0, e.status !== 0);
          const wait = backoff(sendFailures);
          say(`Chưa nộp được bài. Tự động thử lại sau ${Math.ceil(wait / 1000)} giây…`);
          sendTimer = setTimeout(send, wait);
        } else if (e.code === "attempt_expired" || e.code === "attempt_not_found") {
          clearInterval(timer); localStorage.removeItem(KEY); say(e.message, true);
        } else {  // refused as invalid (e.g. the free answer): let the participant fix it and send again
          delete state.submission; persist(); $("submit").disabled = false; say(e.message, true);
        }
      } finally { sending = false; }
    }
    function retryNow() {
      if (state.submission) send();
      save();
    }
    function submit(auto) {
      if (state.submission) return send();
      const missing = unanswered().length;
      if (!auto && missing > 0 && !confirm(`Bạn còn ${missing} câu chưa trả lời. Vẫn nộp bài?`)) return;
      state.submission = {
        answers: a.questions.map((q) => ({ question_id: q.question_id, option_key: state.answers[q.question_id] ?? null })),
        free_answer: freeValue(),
      };
      persist(); send();
    }
    $("quiz").addEventListener("submit", (ev) => { ev.preventDefault(); submit(false); });

    timer = setInterval(tick, 250); tick();
    if (state.submission) send();
    if (!navigator.onLine) network(false);
    save();  // whatever a reload or an outage left unsent
  }

  window.QuizAttempt = { run, KEY };
})();
