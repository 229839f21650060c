// The side-by-side linking page: a selection in the other document's text fills
// the link form (its block offsets and quote); Enter moves to the form.
(function () {
  "use strict";

  var text = document.getElementById("compare-text");
  var form = document.getElementById("compare-form");
  if (!text || !form || !window.ApparatusSelection) return;
  var picked = document.getElementById("compare-picked");
  var hint = picked.innerHTML;
  var chosen = null;

  function onSelection() {
    var found = window.ApparatusSelection.describe(text, window.getSelection());
    if (!found) return; // a click elsewhere keeps the passage already chosen
    chosen = found;
    ["sb", "so", "eb", "eo", "exact"].forEach(function (name) {
      form.elements[name].value = found[name];
    });
    var quote = document.createElement("q");
    quote.textContent = found.exact.length > 300 ? found.exact.slice(0, 299) + "…" : found.exact;
    picked.replaceChildren(quote);
  }

  window.ApparatusSelection.caret(text, onSelection);
  text.addEventListener("keydown", function (event) {
    if (event.target === text && event.key === "Enter" && chosen) {
      form.elements.relation.focus();
      event.preventDefault();
    }
  });
  form.addEventListener("submit", function (event) {
    if (form.elements.exact.value) return;
    event.preventDefault();
    picked.innerHTML = hint;
    picked.classList.add("error");
    text.focus();
  });
})();
