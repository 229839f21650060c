// The reading view's selection handling: the one thing htmx cannot ask the
// browser. Turns a text selection into block offsets, shows a small toolbar,
// and opens threads from highlights. Offsets are sent as the DOM counts them
// (UTF-16 units within a block); the server converts them to code points.
(function () {
  "use strict";

  var text = document.getElementById("doc-text");
  if (!text || !window.htmx || !window.ApparatusSelection) return;
  var annotateUrl = text.dataset.annotateUrl;
  var createUrl = text.dataset.createUrl;
  var threadUrl = text.dataset.threadUrl; // ends in /0/
  var toolbar = null;
  var pending = null; // the selection the toolbar acts on

  function hideToolbar() {
    if (toolbar) toolbar.hidden = true;
  }

  function showToolbar(selection) {
    if (!annotateUrl) return;
    if (!toolbar) {
      toolbar = document.createElement("div");
      toolbar.className = "selection-toolbar";
      toolbar.setAttribute("role", "toolbar");
      toolbar.setAttribute("aria-label", "Selected text");
      toolbar.innerHTML =
        '<button type="button" data-act="note">Annotate <kbd>Enter</kbd></button>' +
        '<button type="button" data-act="highlight">Highlight <kbd>H</kbd></button>' +
        '<button type="button" data-act="tag">Tag <kbd>T</kbd></button>';
      toolbar.addEventListener("mousedown", function (event) { event.preventDefault(); });
      toolbar.addEventListener("click", function (event) {
        var button = event.target.closest("button");
        if (button) act(button.dataset.act);
      });
      document.body.appendChild(toolbar);
    }
    var rect = selection.getRangeAt(0).getBoundingClientRect();
    toolbar.style.top = window.scrollY + rect.top - 44 + "px";
    toolbar.style.left = window.scrollX + rect.left + "px";
    toolbar.hidden = false;
  }

  function act(what) {
    if (!pending || !annotateUrl) return;
    var values = {
      sb: pending.sb, so: pending.so, eb: pending.eb, eo: pending.eo,
      exact: pending.exact
    };
    hideToolbar();
    if (what === "highlight") {
      values.visibility = "project";
      htmx.ajax("POST", createUrl, {
        target: "#thread", swap: "innerHTML", values: values,
        source: document.getElementById("margin-filters")
      });
      return;
    }
    var query = new URLSearchParams(values).toString();
    htmx.ajax("GET", annotateUrl + "?" + query, { target: "#thread", swap: "innerHTML" })
      .then(function () {
        var field = document.querySelector(
          what === "tag" ? "#thread [name=tags]" : "#thread [name=body]"
        );
        if (field) field.focus();
      });
  }

  function onSelection() {
    var selection = window.getSelection();
    pending = annotateUrl ? window.ApparatusSelection.describe(text, selection) : null;
    if (pending) showToolbar(selection); else hideToolbar();
  }

  window.ApparatusSelection.caret(text, onSelection);
  text.addEventListener("keydown", function (event) {
    if (event.target !== text) return;
    if (!pending) return;
    if (event.key === "Enter") { act("note"); event.preventDefault(); }
    else if (event.key === "h" || event.key === "H") { act("highlight"); event.preventDefault(); }
    else if (event.key === "t" || event.key === "T") { act("tag"); event.preventDefault(); }
  });

  // Hover titles: the page carries the labels once (JSON); a highlight gets
  // its title when the pointer first rests on it. Blocks redrawn after a
  // change come with their titles already.
  var labels = null;
  text.addEventListener("mouseover", function (event) {
    var mark = event.target.closest && event.target.closest("mark[data-ids]");
    if (!mark || mark.title) return;
    if (labels === null) {
      var store = document.getElementById("highlight-labels");
      labels = store ? JSON.parse(store.textContent) : {};
    }
    var ids = mark.dataset.ids.split(" ");
    var names = ids.slice(0, 3).map(function (id) { return labels[id]; })
      .filter(Boolean);
    if (ids.length > 3) names.push("and " + (ids.length - 3) + " more");
    mark.title = names.join("; ");
  });

  // Highlights open their threads: click, Enter/Space, or keyboard focus (which
  // shows the thread but leaves the focus on the highlight, so J/K go on).
  var keepFocus = false;
  var focusTimer = null;
  function openThread(mark, moveFocus) {
    var ids = mark.dataset.ids.split(" ");
    var open = document.querySelector("#thread .thread");
    if (open && open.id === "thread-" + ids[0] && !moveFocus) return;
    keepFocus = !moveFocus;
    var url = threadUrl.replace(/\/0\/$/, "/" + ids[0] + "/");
    if (ids.length > 1) url += "?here=" + ids.join(",");
    htmx.ajax("GET", url, { target: "#thread", swap: "innerHTML" });
  }
  text.addEventListener("focusin", function (event) {
    var mark = event.target.closest && event.target.closest("mark[tabindex]");
    if (!mark) return;
    clearTimeout(focusTimer);
    focusTimer = setTimeout(function () {
      if (document.activeElement === mark) openThread(mark, false);
    }, 250);
  });
  text.addEventListener("click", function (event) {
    var mark = event.target.closest("mark[data-ids]");
    if (mark && window.getSelection().isCollapsed) openThread(mark, true);
  });
  text.addEventListener("keydown", function (event) {
    var mark = event.target.closest && event.target.closest("mark[data-ids]");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      openThread(mark, true);
      event.preventDefault();
    }
  });

  // Keyboard: J/K next/previous annotation, Esc closes the thread.
  function closeThread() {
    var panel = document.getElementById("thread");
    if (!panel.firstElementChild) return false;
    panel.innerHTML = "";
    var state = document.getElementById("thread-state");
    if (state) state.value = "";
    window.getSelection().removeAllRanges();
    pending = null;
    hideToolbar();
    text.focus();
    return true;
  }
  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest && event.target.closest("input, textarea, select");
    if (event.key === "Escape") {
      if (toolbar && !toolbar.hidden) { hideToolbar(); return; }
      if (closeThread()) event.preventDefault();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target === text && pending) return;
    if (event.key !== "j" && event.key !== "k") return;
    var targets = Array.prototype.slice.call(text.querySelectorAll("mark[tabindex]"));
    if (!targets.length) return;
    var current = targets.indexOf(document.activeElement);
    var next = event.key === "j"
      ? Math.min(current + 1, targets.length - 1)
      : Math.max(current === -1 ? targets.length - 1 : current - 1, 0);
    targets[next].focus();
    targets[next].scrollIntoView({ block: "center" });
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-thread]")) {
      event.preventDefault();
      closeThread();
    } else if (event.target.closest("[data-cancel-annotation]")) {
      closeThread();
    }
  });

  // A newly shown thread or form takes the focus, so keyboard users land in it.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "thread") return;
    if (keepFocus) { keepFocus = false; return; }
    var focus = event.detail.target.querySelector("[data-autofocus]");
    if (focus && !event.detail.target.querySelector(":focus")) focus.focus();
  });
})();
