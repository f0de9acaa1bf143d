// Big-screen mode: large type, rows glide to their new place when ranks change (FLIP animation);
// a frozen board shows its frozen view until the organizers reveal it.
(function () {
  const m = location.pathname.match(/^\/boards\/([^/]+)\/screen$/);
  const boardId = m ? decodeURIComponent(m[1]) : "stage.entry.all";
  const list = document.getElementById("list");
  const state = document.getElementById("state");
  const esc = Contest.escape;
  let timer = null;

  async function render() {
    let data;
    try { data = await Contest.api("GET", `/api/boards/${encodeURIComponent(boardId)}?limit=20`, undefined, { token: null }); }
    catch (err) { state.textContent = err.message; return; }
    const before = new Map([...list.children].map((li) => [li.dataset.id, li.getBoundingClientRect().top]));
    const oldScores = new Map([...list.children].map((li) => [li.dataset.id, li.dataset.score]));
    list.innerHTML = data.entries.map((e) =>
      `<li data-id="${esc(e.entrant_id)}" data-score="${e.score}"><span class="rank">${e.rank}</span>` +
      `<span class="name">${esc(e.display_name)}</span><span class="score">${Contest.fmtScore(e.score)}</span></li>`).join("");
    for (const li of list.children) {
      const top = before.get(li.dataset.id);
      if (top !== undefined) {
        const dy = top - li.getBoundingClientRect().top;
        if (dy) { li.animate([{ transform: `translateY(${dy}px)` }, { transform: "none" }], { duration: 800, easing: "ease-in-out" }); }
      }
      if (oldScores.has(li.dataset.id) && oldScores.get(li.dataset.id) !== li.dataset.score) li.classList.add("rk-flash");
    }
    state.textContent = data.frozen ? "Kết quả đang được giữ kín – chờ công bố." : (data.total ? "Cập nhật trực tiếp" : "Chưa có điểm.");
  }
  const source = new EventSource(`/api/boards/${encodeURIComponent(boardId)}/stream`);
  source.addEventListener("update", () => { clearTimeout(timer); timer = setTimeout(render, 100); });
  source.onerror = () => { state.textContent = "Mất kết nối, đang thử lại…"; };
  render();
})();
