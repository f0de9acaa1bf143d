// Organizer page: mappings, pending events, quarantine decisions (admin token in sessionStorage).
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "engagement_admin_token";
  const api = (method, url, body) => Contest.api(method, url, body, { token: sessionStorage.getItem(KEY) || "" });
  const errorEl = $("error");
  const say = (text) => { $("status").textContent = text; errorEl.classList.add("hidden"); };
  const fail = (err) => Contest.showError(errorEl, err);
  const cell = (tr, text) => { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; };
  const button = (td, label, onClick) => {
    const b = document.createElement("button"); b.type = "button"; b.textContent = label; b.addEventListener("click", onClick); td.appendChild(b);
  };

  async function load() {
    try {
      const [platforms, mappings, pending, held, contents] = await Promise.all([
        api("GET", "/api/admin/engagement/platforms"), api("GET", "/api/admin/engagement/mappings"),
        api("GET", "/api/admin/engagement/pending"), api("GET", "/api/admin/engagement/quarantine"),
        api("GET", "/api/admin/engagement/contents"),
      ]);
      $("m-platform").replaceChildren(...platforms.filter((p) => p.id !== "portal").map((p) => new Option(`${p.name} (${p.id})`, p.id)));
      $("contents").replaceChildren(...contents.filter((c) => c.status === "published").map((c) => new Option(c.title, c.content_id)));
      $("mappings").replaceChildren(...mappings.map((m) => {
        const tr = document.createElement("tr");
        cell(tr, m.platform); cell(tr, m.content_ref); cell(tr, m.content_id);
        button(cell(tr, ""), "Xóa", async () => {
          try { await api("DELETE", `/api/admin/engagement/mappings/${encodeURIComponent(m.platform)}/${encodeURIComponent(m.content_ref)}`); say("Đã xóa ánh xạ."); load(); } catch (e) { fail(e); }
        });
        return tr;
      }));
      $("pending").replaceChildren(...pending.map((p) => { const tr = document.createElement("tr"); cell(tr, p.platform); cell(tr, p.content_ref); cell(tr, String(p.events)); return tr; }));
      const byContent = {};
      held.forEach((q) => { byContent[q.content_id] = (byContent[q.content_id] || 0) + 1; });
      $("quarantine").replaceChildren(...Object.entries(byContent).map(([content, n]) => {
        const tr = document.createElement("tr");
        cell(tr, content); cell(tr, String(n));
        const td = cell(tr, "");
        for (const [label, what] of [["Thả (tính điểm)", "release"], ["Loại bỏ", "reject"]]) {
          button(td, label, async () => {
            try { const r = await api("POST", `/api/admin/engagement/quarantine/${what}`, { content_id: content }); say(`Đã xử lý ${r.events} sự kiện.`); load(); } catch (e) { fail(e); }
          });
        }
        return tr;
      }));
      say("Đã tải dữ liệu.");
    } catch (e) { fail(e); }
  }

  $("admin-token").value = sessionStorage.getItem(KEY) || "";
  $("token-form").addEventListener("submit", (ev) => { ev.preventDefault(); sessionStorage.setItem(KEY, $("admin-token").value.trim()); load(); });
  $("map-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api("PUT", "/api/admin/engagement/mappings", { platform: $("m-platform").value, content_ref: $("m-ref").value.trim(), content_id: $("m-content").value.trim() });
      say(`Đã lưu ánh xạ; ${r.resolved} sự kiện đang chờ đã được tính.`); load();
    } catch (e) { fail(e); }
  });
  if (sessionStorage.getItem(KEY)) load();
})();
