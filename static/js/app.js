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

// A page htmx asks of the server again for Back or Forward (not in its
// history cache) is swapped in whenever it comes: Back twice, quickly, showed
// the first entry's page at the second's address when the first came last.
// Only the last such request stands; one going back into the cache ends it
// too. (Not any request of the page: a reading page's poll, sent meanwhile,
// would leave the page left at the address asked for.)
(function () {
  "use strict";
  var restoring = null;
  function end() {
    if (restoring) restoring.abort();
    restoring = null;
  }
  document.addEventListener("htmx:historyCacheMiss", function (event) {
    end();
    restoring = event.detail.xhr;
    restoring.addEventListener("loadend", function () {
      if (restoring === event.detail.xhr) restoring = null;
    });
  });
  document.addEventListener("htmx:historyCacheHit", end);
})();

// The Search page. Its results come and go (htmx swaps #search-results, the
// history restores whole pages), so each part looks for its elements as it runs.
(function () {
  "use strict";

  // A history entry asked of the server again (htmx keeps the last ten pages)
  // must come whole: sent as htmx's own request it got the fragment a search
  // swaps in, and the page lost its form.
  if (window.htmx) htmx.config.historyRestoreAsHxRequest = false;

  // A search whatever its page and sort: its query without them and the
  // empty fields, in one order (a link and the form write them differently).
  // A hit chosen names its passage, which no page or sort moves.
  function searchShown() {
    var pairs = [];
    new URLSearchParams(location.search).forEach(function (value, name) {
      if (value && name !== "page" && name !== "sort") {
        pairs.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
      }
    });
    return location.pathname + "?" + pairs.sort().join("&");
  }

  // The hits ticked to annotate are kept while the member pages through the
  // lines (sessionStorage, for one search at a time), ticked again where a
  // page shows them, and those of other pages go with the annotate form.
  var CHOSEN = "apparatus-chosen-hits";

  function stored() {
    try {
      return JSON.parse(sessionStorage.getItem(CHOSEN)) || null;
    } catch (error) {
      return null;
    }
  }

  function chosen() {
    var kept = stored();
    return kept && kept.search === searchShown() && Array.isArray(kept.hits) ? kept.hits : [];
  }

  function keep(hits) {
    try {
      if (hits.length) {
        sessionStorage.setItem(CHOSEN, JSON.stringify({ search: searchShown(), hits: hits }));
      } else {
        sessionStorage.removeItem(CHOSEN);
      }
    } catch (error) {
      // No storage (private mode, full): the hits ticked on this page still go.
    }
  }

  function hitBoxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#search-results input[type=checkbox][name=hit]")
    );
  }

  function countChosen() {
    var form = document.getElementById("annotate-form");
    if (!form) return;
    var status = document.getElementById("annotate-chosen");
    if (!status) {
      status = document.createElement("p");
      status.id = "annotate-chosen";
      status.className = "meta";
      status.setAttribute("role", "status");
      var words = document.createElement("span");
      var none = document.createElement("button");
      none.type = "button";
      none.className = "link";
      none.textContent = "Choose none";
      none.addEventListener("click", function () {
        keep([]);
        hitBoxes().forEach(function (box) { box.checked = false; });
        countChosen();
      });
      status.append(words, " ", none);
      var legend = form.querySelector("legend");
      if (legend) legend.after(status); else form.prepend(status);
    }
    var hits = chosen();
    var here = hitBoxes().map(function (box) { return box.value; });
    var elsewhere = hits.filter(function (hit) { return here.indexOf(hit) === -1; }).length;
    status.hidden = !hits.length;
    status.firstChild.textContent = !hits.length ? ""
      : hits.length === 1 ? "1 hit chosen" : hits.length + " hits chosen";
    if (elsewhere) {
      status.firstChild.textContent +=
        elsewhere === hits.length ? " (on other pages)" : " (" + elsewhere + " on other pages)";
    }
  }

  function showChosen() {
    if (!document.getElementById("search-form")) return;
    var kept = stored();
    if (kept && kept.search !== searchShown()) keep([]); // another search
    var hits = chosen();
    hitBoxes().forEach(function (box) { box.checked = hits.indexOf(box.value) !== -1; });
    countChosen();
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("#search-results input[type=checkbox][name=hit]")) return;
    var hits = chosen().filter(function (hit) { return hit !== box.value; });
    if (box.checked) hits.push(box.value);
    keep(hits);
    countChosen();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "annotate-form") {
      form.querySelectorAll("input[data-chosen-elsewhere]").forEach(function (input) {
        input.remove();
      });
      var here = hitBoxes().map(function (box) { return box.value; });
      chosen().forEach(function (hit) {
        if (here.indexOf(hit) !== -1) return;
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "hit";
        input.value = hit;
        input.dataset.chosenElsewhere = "";
        form.append(input);
      });
    } else if (form.elements.confirm && form.elements.confirm.type === "hidden" &&
               form.elements.add_tag && form.elements.add_tag.type === "hidden") {
      // The preview confirmed: the annotations are being made.
      keep([]);
    }
  });

  // After Back or Forward, the form shows the search of the address, as the
  // results do (the page htmx restores, or the browser's, holds the fields as
  // they were when it was left, or as the server first drew them).
  function showSearchOfAddress() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var asked = new URLSearchParams(location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || ["hidden", "submit", "button", "reset"].indexOf(field.type) !== -1) return;
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = asked.getAll(field.name).indexOf(field.value) !== -1;
      } else {
        field.value = asked.get(field.name) || "";
        if (field.tagName === "SELECT" && field.selectedIndex === -1) field.selectedIndex = 0;
      }
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === "search-results") showChosen();
  });
  document.addEventListener("htmx:historyRestore", function () {
    showSearchOfAddress();
    showChosen();
  });
  window.addEventListener("popstate", showSearchOfAddress);
  window.addEventListener("pageshow", function (event) {
    var navigation = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (event.persisted || (navigation && navigation.type === "back_forward")) {
      showSearchOfAddress();
    }
    showChosen();
  });

  // A link of the results followed from the keyboard (a facet, a page of a
  // kind's hits) brings new results in its place, and the focus would drop to
  // the page's start. Keep it on the same link among the new results (the same
  // address, else the same words in the same facet or list), else give it to
  // the results.
  var followed = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var results = document.getElementById("search-results");
    var active = document.activeElement;
    followed = null;
    if (!results || event.detail.target !== results || !active || !results.contains(active)) return;
    var place = active === results ? null : active.parentElement.closest("[aria-labelledby], [aria-label]");
    followed = {
      href: active === results ? null : active.getAttribute("href"),
      text: active === results ? null : active.textContent.trim(),
      place: place && place !== results
        ? (place.hasAttribute("aria-labelledby")
          ? '[aria-labelledby="' + CSS.escape(place.getAttribute("aria-labelledby")) + '"]'
          : '[aria-label="' + CSS.escape(place.getAttribute("aria-label")) + '"]')
        : null
    };
  });

  document.addEventListener("htmx:afterSettle", function () {
    var wanted = followed;
    followed = null;
    var results = document.getElementById("search-results");
    if (!wanted || !results) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    var links = Array.prototype.slice.call(results.querySelectorAll("a[href]"));
    var link = wanted.href && links.find(function (candidate) {
      return candidate.getAttribute("href") === wanted.href;
    });
    if (!link && wanted.text) {
      var place = wanted.place ? results.querySelector(wanted.place) : results;
      link = place && Array.prototype.find.call(place.querySelectorAll("a[href]"), function (candidate) {
        return candidate.textContent.trim() === wanted.text;
      });
    }
    if (link) {
      link.focus();
    } else {
      results.tabIndex = -1;
      results.focus();
    }
  });

  showChosen();
})();
