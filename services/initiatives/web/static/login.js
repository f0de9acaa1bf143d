// Staff login: store the token, then go to the page of the account's role (or `next`).
(function () {
  const form = document.getElementById("login"), error = document.getElementById("error");
  const HOME = { unit_rep: "/initiatives/rep.html", judge: "/initiatives/judge.html", head_judge: "/initiatives/judge.html", organizer: "/initiatives/organizer.html" };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.classList.add("hidden");
    try {
      const res = await Contest.api("POST", "/api/staff/login", {
        username: document.getElementById("username").value.trim().toLowerCase(),
        password: document.getElementById("password").value,
      }, { token: null });
      Staff.save(res.token, res.staff);
      const next = new URLSearchParams(location.search).get("next");
      location.href = next && (next.startsWith("/initiatives/") || next === "/boards/console") ? next : HOME[res.staff.role];
    } catch (e) { Contest.showError(error, e); }
  });
})();
