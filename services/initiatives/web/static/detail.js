// One initiative: details, the portal's like button (engagement service), live counts, share links.
(async function () {
  const $ = (id) => document.getElementById(id);
  const id = new URLSearchParams(location.search).get("id");
  const error = $("error");
  if (!id) { Contest.showError(error, { message: "Thiếu mã sáng kiến." }); return; }
  let ini;
  try {
    await meta();
    ini = await Contest.api("GET", "/api/initiatives/" + encodeURIComponent(id), undefined, { token: null });
  } catch (e) { Contest.showError(error, e); return; }
  document.title = ini.title + " – Sáng kiến chuyển đổi số Ứng Hòa";
  $("title").textContent = ini.title;
  $("tags").replaceChildren(el("span", { class: "tag" }, fieldName(ini.field)), el("span", { class: "tag" }, unitName(ini.unit_id)));
  $("summary").textContent = ini.summary;
  $("description").textContent = ini.description;
  const KIND = { photo: "Ảnh", video: "Video", document: "Tài liệu", other: "Liên kết" };
  $("links").replaceChildren(...(ini.links.length ? ini.links.map((l) =>
    el("li", {}, el("span", { class: "tag" }, KIND[l.kind] || "Liên kết"), el("a", { href: l.url, target: "_blank", rel: "noopener" }, l.label || l.url)))
    : [el("li", { class: "muted" }, "Chưa có tệp đính kèm.")]));
  $("ini").classList.remove("hidden");

  // share links
  const url = location.origin + "/initiatives/detail.html?id=" + encodeURIComponent(ini.id);
  $("share-fb").href = "https://www.facebook.com/sharer/sharer.php?u=" + encodeURIComponent(url);
  if (navigator.share) {
    $("share-native").classList.remove("hidden");
    $("share-native").addEventListener("click", () => navigator.share({ title: ini.title, url }).catch(() => {}));
  }
  $("copy").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(url); } catch { prompt("Sao chép liên kết:", url); return; }
    $("copied").classList.remove("hidden");
    setTimeout(() => $("copied").classList.add("hidden"), 3000);
  });

  // likes: engagement's API, with the participant token when there is one
  const likeBtn = $("like"), likeErr = $("like-error");
  const contentUrl = "/api/contents/" + encodeURIComponent(ini.id);
  let liked = false, busy = false;
  if (!Contest.token()) $("login-hint").classList.remove("hidden");
  let last = { likes: 0, shares: 0, comments: 0 };
  function show(stats) {
    last = { likes: stats.likes ?? 0, shares: stats.shares ?? 0, comments: stats.comments ?? 0 };
    $("likes").textContent = Contest.fmtNumber(last.likes);
    $("shares").textContent = Contest.fmtNumber(last.shares);
    $("comments").textContent = Contest.fmtNumber(last.comments);
    if (typeof stats.liked_by_me === "boolean") liked = stats.liked_by_me;
    likeBtn.setAttribute("aria-pressed", String(liked));
    likeBtn.textContent = liked ? "Đã thích" : "Thích";
  }
  async function refresh() {
    if (document.hidden || busy) return;
    try { show(await Contest.api("GET", contentUrl + "/stats")); } catch (e) { /* counts stay as they were */ }
  }
  likeBtn.addEventListener("click", async () => {
    if (!Contest.token()) { $("login-hint").classList.remove("hidden"); $("login-hint").querySelector("a").focus(); return; }
    busy = true; likeBtn.disabled = true; likeErr.classList.add("hidden");
    try {
      const res = await Contest.api(liked ? "DELETE" : "POST", contentUrl + "/like");
      liked = !liked;
      if (res && typeof res.likes === "number") show(res); else show({ ...last, likes: last.likes + (liked ? 1 : -1), liked_by_me: liked });
    } catch (e) {
      if (e.status === 401) { $("login-hint").classList.remove("hidden"); }
      Contest.showError(likeErr, e);
    } finally { busy = false; likeBtn.disabled = false; }
  });
  refresh();
  setInterval(refresh, 5000);
  document.addEventListener("visibilitychange", refresh);
})();
