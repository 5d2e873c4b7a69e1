// The district desk: the page works without it; this only asks before a
// decision is sent and keeps the filters in step with the table.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const f of document.querySelectorAll("form[data-confirm]")) {
    f.addEventListener("submit", (e) => {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  }
  for (const s of document.querySelectorAll("select[data-autosubmit]")) {
    s.addEventListener("change", () => s.form.submit());
  }
});
