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

  // A form marked data-reset-on-success empties itself once its answer is in
  // (a reply: the thread keeps the focus in the form, ready for the next).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-reset-on-success]");
    if (form && event.detail.successful) form.reset();
  });

  // An answer htmx does not swap (403, 404, 5xx) or no answer at all: say so
  // where messages show, instead of doing nothing. Form errors (400, 409) come
  // as fragments and are swapped in place (base.html's htmx config).
  var PROBLEMS = {
    403: "You may not do this here (your role, or the project is archived).",
    404: "This is no longer there: someone may have deleted it. Reload the page.",
    413: "That is too large to send.",
    429: "Too many attempts: wait a moment and try again."
  };
  function report(text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var line = document.createElement("p");
    line.className = "message message-error";
    line.setAttribute("role", "alert");
    line.textContent = text + " What you typed is still on the page.";
    box.appendChild(line);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    report(
      PROBLEMS[status] ||
        (status >= 500
          ? "The server met an error (" + status + "); try again in a moment."
          : "This could not be done (" + status + ").")
    );
  });
  document.addEventListener("htmx:sendError", function () {
    report("The server could not be reached: check the connection and try again.");
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
