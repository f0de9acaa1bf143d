// Public gallery: approved initiatives with field and unit filters (state kept in the URL).
(async function () {
  const list = document.getElementById("list"), count = document.getElementById("count");
  const error = document.getElementById("error"), more = document.getElementById("more");
  const fieldSel = document.getElementById("field"), unitSel = document.getElementById("unit");
  const params = new URLSearchParams(location.search);
  let offset = 0;
  const PAGE = 24;
  try {
    const m = await meta();
    m.fields.forEach((f) => fieldSel.append(el("option", { value: f.id }, f.name)));
    m.units.forEach((u) => unitSel.append(el("option", { value: u.id }, u.name)));
  } catch (e) { Contest.showError(error, e); }
  fieldSel.value = params.get("field") || "";
  unitSel.value = params.get("unit") || "";

  function card(i) {
    const url = "/initiatives/detail.html?id=" + encodeURIComponent(i.id);
    return el("article", { class: "card" },
      el("h2", {}, el("a", { href: url }, i.title)),
      el("p", {}, el("span", { class: "tag" }, fieldName(i.field)), el("span", { class: "tag" }, unitName(i.unit_id))),
      el("p", {}, i.summary),
      el("a", { href: url, class: "button secondary", "aria-label": "Xem chi tiết: " + i.title }, "Xem chi tiết"));
  }

  async function load(reset) {
    if (reset) { offset = 0; list.replaceChildren(); }
    const q = new URLSearchParams({ limit: PAGE, offset });
    if (fieldSel.value) q.set("field", fieldSel.value);
    if (unitSel.value) q.set("unit", unitSel.value);
    try {
      const data = await Contest.api("GET", "/api/initiatives?" + q, undefined, { token: null });
      data.items.forEach((i) => list.append(card(i)));
      offset += data.items.length;
      count.textContent = data.total ? `Có ${Contest.fmtNumber(data.total)} sáng kiến.` : "Chưa có sáng kiến nào phù hợp.";
      more.classList.toggle("hidden", offset >= data.total);
      error.classList.add("hidden");
    } catch (e) { Contest.showError(error, e); }
  }
  document.getElementById("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (fieldSel.value) q.set("field", fieldSel.value);
    if (unitSel.value) q.set("unit", unitSel.value);
    history.replaceState(null, "", "?" + q);
    load(true);
  });
  more.addEventListener("click", () => load(false));
  load(true);
})();
