// Small progressive enhancements; the pages work without this file.
(function () {
  "use strict";

  // Upload progress for forms marked data-upload-progress (sent by htmx).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector("progress");
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    if (!form) return;
    var bar = form.querySelector("progress");
    bar.hidden = true;
    bar.value = 0;
    if (event.detail.successful || event.detail.xhr.status === 400) form.reset();
  });

  // "More results" replaces itself with the next page: keep the keyboard there,
  // on the first of the new results.
  document.addEventListener("htmx:afterSettle", function () {
    var first = document.querySelector("[data-first-new]");
    if (!first) return;
    first.removeAttribute("data-first-new");
    var link = first.querySelector("a");
    if (link) link.focus();
  });
})();
