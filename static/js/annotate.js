// The reading view's selection handling: the one thing htmx cannot ask the
// browser. Turns a text selection into block offsets, shows a small toolbar,
// and opens threads from highlights. Offsets are sent as the DOM counts them
// (UTF-16 units within a block); the server converts them to code points.
(function () {
  "use strict";

  var text = document.getElementById("doc-text");
  var panel = document.getElementById("thread");
  if (!text || !panel || !window.htmx || !window.ApparatusSelection) return;
  var annotateUrl = text.dataset.annotateUrl;
  var createUrl = text.dataset.createUrl;
  var threadUrl = text.dataset.threadUrl; // ends in /0/
  var editTextUrl = text.dataset.editTextUrl; // curators and owners
  var toolbar = null;
  var toolbarPressed = false; // a press on the toolbar may drop the selection first
  var pending = null; // the selection the toolbar acts on
  var dragging = false; // a mouse drag in the text: the toolbar waits for its end

  function hideToolbar() {
    if (toolbar) toolbar.hidden = true;
  }

  function showToolbar(range) {
    if (!toolbar) {
      toolbar = document.createElement("div");
      toolbar.className = "selection-toolbar";
      toolbar.setAttribute("role", "toolbar");
      toolbar.setAttribute("aria-label", "Selected text");
      toolbar.innerHTML =
        '<button type="button" data-act="note">Annotate <kbd>Enter</kbd></button>' +
        '<button type="button" data-act="highlight">Highlight <kbd>H</kbd></button>' +
        '<button type="button" data-act="tag">Tag <kbd>T</kbd></button>' +
        (editTextUrl
          ? '<button type="button" data-act="edit-text">Edit text <kbd>E</kbd></button>'
          : "") +
        '<button type="button" data-act="reattach">Reattach here <kbd>Enter</kbd></button>';
      // Keep the selection: a press here must not take it away.
      toolbar.addEventListener("mousedown", function (event) { event.preventDefault(); });
      toolbar.addEventListener("pointerdown", function () { toolbarPressed = true; });
      toolbar.addEventListener("pointerup", function () {
        setTimeout(function () { toolbarPressed = false; }, 500);
      });
      toolbar.addEventListener("click", function (event) {
        var button = event.target.closest("button");
        var pressed = toolbarPressed;
        toolbarPressed = false;
        if (button) act(button.dataset.act, pressed);
      });
      document.body.appendChild(toolbar);
    }
    toolbar.hidden = false;
    toolbar.querySelectorAll("[data-act]").forEach(function (button) {
      button.hidden = Boolean(reattach) !== (button.dataset.act === "reattach");
    });
    // Above the passage, or below it where there is no room above, or on a touch
    // screen (whose own selection menu sits above); never past the right edge,
    // which would widen the page.
    var rect = range.getBoundingClientRect();
    var height = toolbar.offsetHeight;
    var below = window.matchMedia("(pointer: coarse)").matches || rect.top < height + 8;
    var top = below ? rect.bottom + 8 : rect.top - height - 8;
    var room = document.documentElement.clientWidth - toolbar.offsetWidth - 8;
    toolbar.style.top = window.scrollY + top + "px";
    toolbar.style.left = window.scrollX + Math.max(8, Math.min(rect.left, room)) + "px";
  }

  // The passage a new note is about stays marked while its form is open (the
  // form takes the focus, and with it the browser's selection). The form's own
  // fields say where the passage is, so the mark survives any redraw.
  var MARK = "apparatus-passage";
  function markPassage() {
    if (!window.CSS || !CSS.highlights || !window.Highlight) return;
    var form = panel.querySelector("form.annotation-form [name=sb]");
    form = form && form.form;
    var range = form && window.ApparatusSelection.rangeOf(
      text, form.sb.value, form.so.value, form.eb.value, form.eo.value
    );
    if (range) CSS.highlights.set(MARK, new Highlight(range));
    else CSS.highlights.delete(MARK);
  }

  // An orphan waiting for its new passage ("Reattach to a passage" in its
  // thread): the next selection's toolbar offers "Reattach here" alone.
  var reattach = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-reattach]");
    if (!button) return;
    reattach = {
      url: button.dataset.reattach,
      revision: button.dataset.revision,
      problems: button.closest(".orphan-notice").querySelector("[aria-live]")
    };
    button.setAttribute("aria-pressed", "true");
    reattach.problems.textContent = "Now select the passage in the text.";
    text.focus();
  });

  // `pressed`: the toolbar was pressed, which may have dropped the selection.
  function act(what, pressed) {
    var now = window.ApparatusSelection.describe(text, window.getSelection());
    if (now || !pressed) pending = now;
    if (!pending || (!annotateUrl && !reattach)) return;
    var values = {
      sb: pending.sb, so: pending.so, eb: pending.eb, eo: pending.eo,
      exact: pending.exact, text_revision: text.dataset.textRevision
    };
    // A selection change noticed just before (its timer still running) must
    // not bring the toolbar back over the form.
    clearTimeout(selectionTimer);
    hideToolbar();
    if (what === "edit-text") {
      // The block the selection begins in, opened in place for correcting.
      var block = text.querySelector('[data-start="' + pending.sb + '"]');
      if (!block) return;
      htmx.ajax("GET", editTextUrl + "?from=reading&at=" + pending.sb, {
        target: block, swap: "outerHTML"
      }).then(function () {
        var field = text.querySelector("[data-edit-form] textarea");
        if (field) field.focus();
      });
      return;
    }
    if (reattach) {
      values.revision = reattach.revision;
      htmx.ajax("POST", reattach.url, {
        target: reattach.problems, swap: "innerHTML", values: values
      });
      reattach = null;
      return;
    }
    if (what === "highlight") {
      values.visibility = "project";
      htmx.ajax("POST", createUrl, {
        target: "#thread", swap: "innerHTML", values: values
      });
      return;
    }
    var query = new URLSearchParams(values).toString();
    htmx.ajax("GET", annotateUrl + "?" + query, { target: "#thread", swap: "innerHTML" })
      .then(function () {
        var field = panel.querySelector(what === "tag" ? "[name=tags]" : "[name=body]");
        if (field) field.focus({ preventScroll: true });
      });
  }

  function onSelection() {
    var selection = window.getSelection();
    var now = annotateUrl || reattach
      ? window.ApparatusSelection.describe(text, selection) : null;
    if (!now && toolbarPressed) return; // the press took the selection: act on it
    pending = now;
    if (pending) showToolbar(selection.getRangeAt(0)); else hideToolbar();
  }

  window.ApparatusSelection.caret(text, onSelection);
  // Whatever changes the selection (a click elsewhere, a key, a touch, a
  // script) is followed: the toolbar shows only while there is a selection.
  var selectionTimer = null;
  document.addEventListener("selectionchange", function () {
    if (dragging) return;
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(onSelection, 50);
  });
  text.addEventListener("mousedown", function (event) {
    if (event.button !== 0) return;
    dragging = true;
    // A press on a focusable highlight would focus it, and Chromium then
    // selects nothing for the drag that follows (and the focus would open its
    // thread): the highlight stops being focusable for this press only.
    var mark = event.target.closest("mark[tabindex]");
    if (mark) {
      mark.removeAttribute("tabindex");
      setTimeout(function () { mark.setAttribute("tabindex", "0"); }, 0);
    }
  });
  document.addEventListener("mouseup", function () {
    if (!dragging) return;
    dragging = false;
    setTimeout(onSelection, 0);
  });
  text.addEventListener("keydown", function (event) {
    if (event.target !== text) return;
    if (!pending) return;
    if (event.key === "Enter") { act("note"); event.preventDefault(); }
    else if (event.key === "h" || event.key === "H") { act("highlight"); event.preventDefault(); }
    else if (event.key === "t" || event.key === "T") { act("tag"); event.preventDefault(); }
    else if ((event.key === "e" || event.key === "E") && editTextUrl) {
      act("edit-text"); event.preventDefault();
    }
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
  var keepFocusFor = null; // the address of the thread opened by focus alone
  var focusTimer = null;
  function openThread(mark, moveFocus) {
    clearTimeout(focusTimer); // a click or key says more than the focus
    var ids = mark.dataset.ids.split(" ");
    var open = panel.querySelector(".thread");
    if (open && open.id === "thread-" + ids[0] && !moveFocus) return;
    var url = threadUrl.replace(/\/0\/$/, "/" + ids[0] + "/");
    if (ids.length > 1) url += "?here=" + ids.join(",");
    keepFocusFor = moveFocus ? null : url;
    htmx.ajax("GET", url, { target: "#thread", swap: "innerHTML" });
  }
  // Requests for the panel are numbered as they leave. A read (a thread, a
  // form) is shown only if it is the last one sent and the panel was not
  // closed since: of two threads opened quickly the later shows, and Esc
  // drops a thread still on its way. A write's answer always shows (it says
  // what became of the write).
  var panelTurn = 0;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target !== panel) return;
    var xhr = event.detail.xhr;
    xhr.panelTurn = ++panelTurn;
    xhr.keepFocus = event.detail.pathInfo.requestPath === keepFocusFor;
    if (xhr.keepFocus) keepFocusFor = null;
  });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var turn = event.detail.xhr && event.detail.xhr.panelTurn;
    var config = event.detail.requestConfig;
    if (turn && config.verb === "get" && turn !== panelTurn) {
      event.detail.shouldSwap = false;
    }
  });
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

  // The poll says which thread is open (#thread-state), and its answer brings
  // news of that thread's parts: the state names a thread only while the panel
  // shows it (a new note's form, a link picker or a message is none).
  function threadChanged() {
    var state = document.getElementById("thread-state");
    var shown = panel.querySelector(".thread[data-annotation]");
    if (state) state.value = shown ? shown.dataset.annotation : "";
  }
  // An answer to a poll sent about another thread than the one open now is
  // not shown (its news would find no thread): the poller keeps its place, and
  // the next poll asks again about what is open.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    if (event.detail.elt.id !== "poller" || !config) return;
    var state = document.getElementById("thread-state");
    if ((config.formData.get("thread") || "") !== (state ? state.value : "")) {
      event.detail.shouldSwap = false;
    }
  });

  // Keyboard: J/K next/previous annotation, Esc closes the thread.
  function closeThread() {
    panelTurn++;
    if (!panel.firstElementChild) return false;
    panel.innerHTML = "";
    threadChanged();
    markPassage();
    window.getSelection().removeAllRanges();
    pending = null;
    hideToolbar();
    text.focus({ preventScroll: true });
    return true;
  }
  document.addEventListener("keydown", function (event) {
    var typing = event.target.closest && event.target.closest("input, textarea, select");
    if (event.key === "Escape") {
      // In the thread (a note's form), Esc closes it, toolbar or not.
      var inThread = panel.contains(event.target);
      if (!inThread && toolbar && !toolbar.hidden) { hideToolbar(); return; }
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

  // On a narrow screen the panel is a sheet over the text (app.css). It takes
  // the side of the screen with more room beside the passage it is about, and
  // no more than that room: the text does not move, and the passage stays in
  // view (unless it fills most of the screen).
  var narrow = window.matchMedia("(max-width: 50rem)");
  function passageRect() {
    var shown = panel.querySelector(".thread[data-annotation]");
    var mark = shown && text.querySelector('mark[data-ids~="' + shown.dataset.annotation + '"]');
    if (mark) return mark.getBoundingClientRect();
    var marked = window.CSS && CSS.highlights && CSS.highlights.get(MARK);
    return marked && marked.size ? marked.values().next().value.getBoundingClientRect() : null;
  }
  function placeSheet() {
    panel.classList.remove("sheet-top");
    panel.style.maxHeight = "";
    var rect = narrow.matches && panel.firstElementChild && passageRect();
    if (!rect) return;
    var below = window.innerHeight - rect.bottom - 12;
    var above = rect.top - 12;
    if (above > below) panel.classList.add("sheet-top");
    var room = Math.max(above, below, window.innerHeight * 0.3);
    if (room < panel.offsetHeight) panel.style.maxHeight = Math.floor(room) + "px";
  }

  // A newly shown thread or form takes the focus, so keyboard users land in it
  // (without scrolling: on a phone the thread is a sheet over the text). The
  // answer's out-of-band parts fire this event too, each on itself: only the
  // panel's own swap counts.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target !== panel) return;
    threadChanged();
    markPassage();
    placeSheet();
    if (event.detail.xhr && event.detail.xhr.keepFocus) return;
    var focus = panel.querySelector("[data-autofocus]");
    if (focus && !panel.contains(document.activeElement)) {
      focus.focus({ preventScroll: true });
    }
  });
  // After any change (the form shown, saved or refused, blocks redrawn by a
  // poll), the mark follows the form.
  document.body.addEventListener("htmx:afterSettle", markPassage);

  // What a poll brings must not pull the page from under a request in flight.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "margin-list" && target.querySelector(".htmx-request")) {
      // A page of the list is on its way (a link in it was followed): it
      // brings the list.
      event.detail.shouldSwap = false;
    } else if (target.classList && target.classList.contains("replies")) {
      // A reply being edited is kept as it is.
      target.querySelectorAll(".reply.editing[id]").forEach(function (editing) {
        var fresh = event.detail.fragment.querySelector("#" + CSS.escape(editing.id));
        if (fresh) fresh.setAttribute("hx-preserve", "");
      });
    }
  });

  // A write on this page sends what the page shows (one field, `reader`: the
  // margin's filters and page, the count it shows and the token of what it
  // reflects), so that its answer alone brings the page up to date: no
  // request follows.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.getElementById("reader-token");
    if (event.detail.verb === "get" || !token) return;
    var filters = document.getElementById("margin-filters");
    var state = new URLSearchParams(filters ? new FormData(filters) : undefined);
    var page = document.getElementById("margin-page");
    if (page) state.set("page", page.value);
    state.set("since", token.value);
    var count = document.getElementById("annotation-count");
    var number = count && /\d+/.exec(count.textContent);
    if (number) state.set("count", number[0]);
    event.detail.parameters.reader = state.toString();
  });

  // The margin's news (#margin-news, from a write or a poll): each entry takes
  // the place of its old self, or its place in text order when it belongs to
  // the page shown (a page that overflows hands its last entry on to the next
  // page); entries gone or filtered out leave.
  function orderOf(item) {
    var id = item.id ? item.id.slice(2) : item.dataset.news;
    return [+item.dataset.start, +item.dataset.end, +id];
  }
  function comesBefore(a, b) {
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }
  function fileEntry(list, item) {
    var pageField = document.getElementById("margin-page");
    var page = pageField ? +pageField.value : 1;
    var lastPage = !pageField || pageField.hasAttribute("data-last");
    var entries = list.querySelector("ol.margin-items");
    if (!entries) {
      if (page !== 1) return;
      entries = document.createElement("ol");
      entries.className = "margin-items";
      var empty = list.querySelector(".empty");
      if (empty) empty.replaceWith(entries); else list.appendChild(entries);
    }
    var key = orderOf(item);
    var next = null;
    for (var child = entries.firstElementChild; child; child = child.nextElementSibling) {
      if (comesBefore(key, orderOf(child))) { next = child; break; }
    }
    if (next && next === entries.firstElementChild && page > 1) return; // an earlier page's
    if (!next && !lastPage) return; // a later page's
    entries.insertBefore(item, next);
    htmx.process(item);
    // A full page hands its last entry on to the next page; the last page
    // keeps it (no page would show it until a reload).
    var size = pageField ? +pageField.dataset.pageSize : 0;
    if (size && !lastPage && entries.children.length > size) {
      entries.lastElementChild.remove();
    }
  }
  function fileNews() {
    var news = document.getElementById("margin-news");
    var list = document.getElementById("margin-list");
    if (!news || !list || !news.querySelector("li")) return;
    news.querySelectorAll("li[data-news], li[data-gone]").forEach(function (item) {
      var id = item.dataset.news || item.dataset.gone;
      var old = document.getElementById("m-" + id);
      if (item.hasAttribute("data-gone")) {
        if (old) old.remove();
        return;
      }
      item.removeAttribute("data-news");
      item.id = "m-" + id;
      if (old) {
        old.replaceWith(item);
        htmx.process(item);
      } else {
        fileEntry(list, item);
      }
    });
    var total = list.querySelector("[data-total]");
    if (total && news.dataset.total) total.textContent = news.dataset.total;
    news.textContent = "";
  }
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "margin-news") fileNews();
  });
  document.body.addEventListener("htmx:afterSettle", fileNews);

  // A search's keyword-in-context line opens the page at its hit
  // (?hit=START-END, code points into the text): the passage is marked, as a
  // CSS highlight that leaves the text's markup alone, and scrolled to.
  function markHit() {
    var found = /^(\d+)-(\d+)$/.exec(new URLSearchParams(location.search).get("hit") || "");
    var text = document.getElementById("doc-text");
    if (!found || !text || !window.ApparatusSelection) return;
    var start = Number(found[1]), end = Number(found[2]);
    var block = Array.prototype.find.call(
      text.querySelectorAll("[data-start]"),
      function (candidate) {
        return Number(candidate.dataset.start) <= start && start < Number(candidate.dataset.end);
      }
    );
    if (!block) return;
    var from = Number(block.dataset.start);
    var points = Array.from(block.textContent);
    var units = function (count) { return points.slice(0, count).join("").length; };
    var range = window.ApparatusSelection.rangeOf(
      text, from, units(start - from), from, units(Math.min(end, Number(block.dataset.end)) - from)
    );
    if (!range) return;
    if (window.CSS && CSS.highlights && window.Highlight) {
      CSS.highlights.set("search-hit", new Highlight(range));
    }
    window.ApparatusSelection.reveal(range);
  }
  markHit();

  // A download of "what the margin shows" (the CSV tables) takes the filters
  // as they are when it is clicked; the page drew it with those it opened with.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-with-filters]");
    var form = link && document.getElementById(link.dataset.withFilters);
    if (!form) return;
    var query = new URLSearchParams(new FormData(form)).toString();
    link.href = link.href.split("?")[0] + (query ? "?" + query : "");
  });
})();
