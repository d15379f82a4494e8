// Hide or show the filter sidebar of an admin list that fits a laptop screen
// (templates/admin/fit_change_list.html); remembered per list in this browser.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("changelist");
  const button = document.getElementById("filter-toggle");
  if (!list || !button) return;
  const key = `auditsite.filtersHidden:${window.location.pathname}`;
  const apply = (hidden) => {
    list.classList.toggle("auditsite-filters-hidden", hidden);
    button.textContent = hidden ? "Show filters" : "Hide filters";
    button.setAttribute("aria-expanded", String(!hidden));
  };
  apply(window.localStorage.getItem(key) === "1");
  button.addEventListener("click", () => {
    const hidden = !list.classList.contains("auditsite-filters-hidden");
    window.localStorage.setItem(key, hidden ? "1" : "0");
    apply(hidden);
  });
});
