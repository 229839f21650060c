// Find in this document: every hit of what is typed is marked in the text (a
// CSS highlight, the markup untouched), "3 of 17" says where one is, Enter and
// Shift+Enter step through them. Case and accents do not matter, as in the
// project's search. Without script the form stays hidden: the browser's own
// find remains.
(function () {
  "use strict";
  var form = document.getElementById("find-form");
  var text = document.getElementById("doc-text");
  if (!form || !text || !window.ApparatusSelection || !window.CSS || !CSS.highlights) return;
  var input = document.getElementById("find-q");
  var count = document.getElementById("find-count");
  var hits = [];
  var current = -1;

  function fold(ch) {
    return ch.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  }

  // The block's text folded, with where each folded unit came from (UTF-16).
  function folded(block) {
    var source = block.textContent, out = "", from = [], at = 0;
    for (var ch of source) {
      var f = fold(ch);
      for (var i = 0; i < f.length; i++) from.push(at);
      out += f;
      at += ch.length;
    }
    from.push(at);
    return { text: out, from: from };
  }

  function show() {
    CSS.highlights.delete("find-current");
    if (current < 0 || !hits.length) {
      count.textContent = input.value.trim() ? "No hit" : "";
      return;
    }
    count.textContent = (current + 1) + " of " + hits.length;
    CSS.highlights.set("find-current", new Highlight(hits[current].range));
    window.ApparatusSelection.reveal(hits[current].range);
  }

  function find() {
    var wanted = Array.from(input.value.trim()).map(fold).join("");
    hits = [];
    if (wanted) {
      text.querySelectorAll("[data-start]").forEach(function (block) {
        var seen = folded(block);
        var start = Number(block.dataset.start);
        for (var at = seen.text.indexOf(wanted); at !== -1; at = seen.text.indexOf(wanted, at + 1)) {
          var range = window.ApparatusSelection.rangeOf(
            text, start, seen.from[at], start, seen.from[at + wanted.length]
          );
          if (range) hits.push({ range: range });
        }
      });
    }
    if (hits.length) {
      CSS.highlights.set("find-hit", new Highlight(...hits.map(function (hit) { return hit.range; })));
    } else {
      CSS.highlights.delete("find-hit");
    }
    current = hits.length ? 0 : -1;
    show();
  }

  function step(by) {
    if (!hits.length) return;
    current = (current + by + hits.length) % hits.length;
    show();
  }

  form.hidden = false;
  input.addEventListener("input", find);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      step(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape") {
      input.value = "";
      find();
    }
  });
  document.getElementById("find-previous").addEventListener("click", function () { step(-1); });
  document.getElementById("find-next").addEventListener("click", function () { step(1); });
  // The text is redrawn after writes (htmx): mark the hits in the new blocks.
  document.body.addEventListener("htmx:afterSettle", function () {
    if (input.value.trim()) {
      var was = current;
      find();
      if (was >= 0 && was < hits.length) { current = was; show(); }
    }
  });
})();
