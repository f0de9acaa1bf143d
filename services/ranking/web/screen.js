// The big screen of the stage final (and of any board): the whole 16:9 screen, the board's own
// title, as many of the top N rows as fit (paged when they don't), units under the names, scores
// counting up to their new value, a podium when a frozen board is revealed, and the freeze honoured
// (the public API serves the frozen standings; the badge says so).
// URL: /boards/<board_id>/screen?top=10 (top N, 1–100).
(function () {
  const m = location.pathname.match(/^\/boards\/([^/]+)\/screen$/);
  const boardId = m ? decodeURIComponent(m[1]) : "stage.entry.all";
  const params = new URLSearchParams(location.search);
  const TOP = Math.min(100, Math.max(1, parseInt(params.get("top"), 10) || 10));
  const PAGE_MS = 10000, COUNT_MS = 1200, PODIUM_MS = 20000;
  const SCOPES = { individual: "Xếp hạng cá nhân", unit: "Xếp hạng đơn vị" };
  const $ = (id) => document.getElementById(id);
  const esc = Contest.escape;
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  let meta = { units: {}, phases: {}, rounds: {} };
  let data = null, page = 0, frozen = null, timer = null, podiumTimer = null;
  const shown = new Map();  // entrant id -> score currently on screen (what a count-up starts from)

  function labels() {
    const [phase, scope, win] = boardId.split(".");
    const title = meta.phases[phase] || (phase === "stage" ? "Thi sân khấu hóa" : "Bảng xếp hạng");
    let what = SCOPES[scope] || "";
    if (scope === "entry") what = phase === "stage" ? "Điểm giám khảo chung kết" : "Điểm giám khảo và tương tác cộng đồng";
    let when = "";
    if (win && win.startsWith("round-")) when = meta.rounds[win.slice(6)] || "Vòng " + win.slice(6);
    else if (win && win.startsWith("day-")) { const [y, mo, d] = win.slice(4).split("-"); when = `Ngày ${d}/${mo}/${y}`; }
    return { title, sub: [what, when].filter(Boolean).join(" · ") };
  }

  function perPage() {
    const list = $("list");
    const minRow = Math.max(64, window.innerHeight * 0.078);  // legible from the back of a hall
    return Math.max(1, Math.floor(list.clientHeight / minRow));
  }

  function countUp(el, from, to) {
    if (reduced || from === to || !isFinite(from)) { el.textContent = Contest.fmtScore(to); return; }
    const t0 = performance.now();
    el.classList.add("bs-rising");
    (function step(now) {
      const k = Math.min(1, (now - t0) / COUNT_MS), eased = 1 - Math.pow(1 - k, 3);
      el.textContent = Contest.fmtScore(k < 1 ? from + (to - from) * eased : to);
      if (k < 1) requestAnimationFrame(step); else el.classList.remove("bs-rising");
    })(t0);
  }

  function rowHtml(e) {
    const unit = meta.units[e.unit_id] || "";
    const medal = e.rank <= 3 ? ` bs-top${e.rank}` : "";
    return `<li class="bs-row${medal}" data-id="${esc(e.entrant_id)}">` +
      `<span class="rank" aria-label="Hạng ${e.rank}">${e.rank}</span>` +
      `<span class="who"><span class="name">${esc(e.display_name)}</span>` +
      (unit && unit !== e.display_name ? `<span class="unit">${esc(unit)}</span>` : "") + `</span>` +
      `<span class="score">${Contest.fmtScore(shown.has(e.entrant_id) ? shown.get(e.entrant_id) : e.score)}</span></li>`;
  }

  function draw() {
    const list = $("list");
    const rows = data ? data.entries.slice(0, TOP) : [];
    const size = perPage(), pages = Math.max(1, Math.ceil(rows.length / size));
    page %= pages;
    const visible = rows.slice(page * size, page * size + size);
    const before = new Map([...list.children].map((li) => [li.dataset.id, li.getBoundingClientRect().top]));
    list.style.setProperty("--rows", String(Math.min(size, Math.max(visible.length, 6))));  // few rows: bigger
    list.innerHTML = visible.map(rowHtml).join("");
    for (const li of list.children) {
      const e = visible.find((x) => x.entrant_id === li.dataset.id);
      const top = before.get(li.dataset.id);
      if (top !== undefined && !reduced) {
        const dy = top - li.getBoundingClientRect().top;
        if (dy) li.animate([{ transform: `translateY(${dy}px)` }, { transform: "none" }], { duration: 900, easing: "ease-in-out" });
      }
      const from = shown.has(e.entrant_id) ? shown.get(e.entrant_id) : e.score;
      countUp(li.querySelector(".score"), from, e.score);
    }
    for (const e of rows) shown.set(e.entrant_id, e.score);
    $("empty").classList.toggle("hidden", rows.length > 0);
    $("pageinfo").textContent = pages > 1 ? `Trang ${page + 1}/${pages} · top ${rows.length}` : (rows.length ? `Top ${rows.length}` : "");
  }

  function showState() {
    const isFrozen = !!(data && data.frozen);
    $("badge").classList.toggle("hidden", !isFrozen);
    $("state").textContent = isFrozen ? "Kết quả đang được giữ kín – chờ công bố."
      : (data && data.total ? "Cập nhật trực tiếp" : "Chưa có điểm.");
    if (data) $("asof").textContent = "Cập nhật lúc " + new Date(data.as_of).toLocaleTimeString("vi-VN");
  }

  function podium() {
    const top = data.entries.slice(0, 3);
    if (!top.length) return;
    const order = [top[1], top[0], top[2]].filter(Boolean);  // 2 – 1 – 3, as on a real podium
    $("podium-list").innerHTML = order.map((e) =>
      `<li class="bs-step bs-step${e.rank}" data-id="${esc(e.entrant_id)}"><span class="rank">${e.rank}</span>` +
      `<span class="name">${esc(e.display_name)}</span><span class="unit">${esc(meta.units[e.unit_id] || "")}</span>` +
      `<span class="score">${Contest.fmtScore(e.score)}</span></li>`).join("");
    $("podium").classList.remove("hidden");
    document.body.classList.add("bs-revealing");
    clearTimeout(podiumTimer);
    podiumTimer = setTimeout(() => { $("podium").classList.add("hidden"); document.body.classList.remove("bs-revealing"); }, PODIUM_MS);
  }

  async function refresh() {
    try {
      data = await Contest.api("GET", `/api/boards/${encodeURIComponent(boardId)}?limit=${TOP}`, undefined, { token: null });
    } catch (err) { $("state").textContent = err.message; return; }
    const revealed = frozen === true && !data.frozen;  // a frozen board just unfrozen: the reveal
    frozen = data.frozen;
    draw();
    showState();
    if (revealed) podium();
  }

  function tick() { $("clock").textContent = new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }); }

  (async function init() {
    try {
      const listing = await Contest.api("GET", "/api/boards", undefined, { token: null });
      meta = { units: listing.units || {}, phases: listing.phases || {}, rounds: listing.rounds || {} };
      $("kicker").textContent = listing.contest_title ? `Cuộc thi “${listing.contest_title}”` : "";
    } catch (err) { /* titles fall back to the board id's parts */ }
    const { title, sub } = labels();
    $("title").textContent = title;
    $("subtitle").textContent = sub;
    document.title = `${title}${sub ? " – " + sub : ""} – Màn hình lớn`;
    tick(); setInterval(tick, 15000);
    await refresh();
    setInterval(() => { if (data && data.entries.slice(0, TOP).length > perPage()) { page += 1; draw(); } }, PAGE_MS);
    window.addEventListener("resize", draw);
    const source = new EventSource(`/api/boards/${encodeURIComponent(boardId)}/stream`);
    source.addEventListener("update", () => { clearTimeout(timer); timer = setTimeout(refresh, 100); });
    source.addEventListener("hello", () => { clearTimeout(timer); timer = setTimeout(refresh, 100); });
    source.onerror = () => { $("state").textContent = "Mất kết nối, đang thử lại…"; };
  })();
})();
