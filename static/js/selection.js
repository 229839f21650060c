// Reading a text selection as block offsets, shared by the reading view and the
// side-by-side linking page. A container holds blocks marked data-start (their
// code-point offset in the document); offsets within a block are sent as the DOM
// counts them (UTF-16 units) and the server turns them into code points.
(function () {
  "use strict";

  function blockOf(container, node) {
    var element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    var block = element && element.closest("[data-start]");
    return block && container.contains(block) ? block : null;
  }

  // UTF-16 length of the block's text before (node, offset).
  function offsetIn(block, node, offset) {
    var range = document.createRange();
    range.setStart(block, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  // The selection within `container` as {sb, so, eb, eo, exact}, or null if it
  // holds no text there.
  function describe(container, selection) {
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!container.contains(range.commonAncestorContainer)) return null;
    var blocks = Array.prototype.filter.call(
      container.querySelectorAll("[data-start]"),
      function (block) { return range.intersectsNode(block); }
    );
    if (blocks.length === 0) return null;
    var first = blocks[0];
    var last = blocks[blocks.length - 1];
    var so = blockOf(container, range.startContainer) === first
      ? offsetIn(first, range.startContainer, range.startOffset) : 0;
    var eo = blockOf(container, range.endContainer) === last
      ? offsetIn(last, range.endContainer, range.endOffset) : last.textContent.length;
    // The document's text separates blocks with a blank line.
    var parts = blocks.map(function (block, index) {
      var content = block.textContent;
      if (blocks.length === 1) return content.slice(so, eo);
      if (index === 0) return content.slice(so);
      if (index === blocks.length - 1) return content.slice(0, eo);
      return content;
    });
    var exact = parts.join("\n\n");
    if (!exact.trim()) return null;
    return {
      sb: first.dataset.start, so: so, eb: last.dataset.start, eo: eo, exact: exact
    };
  }

  // The DOM position `offset` UTF-16 units into the block's text.
  function pointIn(block, offset) {
    var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    var node, seen = 0, last = null;
    while ((node = walker.nextNode())) {
      if (offset <= seen + node.data.length) return [node, offset - seen];
      seen += node.data.length;
      last = node;
    }
    return last ? [last, last.data.length] : [block, 0];
  }

  // The inverse of describe(): a Range over the passage (sb, so, eb, eo) as
  // the blocks in `container` now are, or null if they are not there.
  function rangeOf(container, sb, so, eb, eo) {
    var first = container.querySelector('[data-start="' + Number(sb) + '"]');
    var last = container.querySelector('[data-start="' + Number(eb) + '"]');
    if (!first || !last) return null;
    var range = document.createRange();
    var start = pointIn(first, Number(so));
    var end = pointIn(last, Number(eo));
    range.setStart(start[0], start[1]);
    range.setEnd(end[0], end[1]);
    return range.collapsed ? null : range;
  }

  // A Range has no scrollIntoView: bring its middle to the middle of each box
  // that scrolls it, then of the screen. (A block scrolled to its centre
  // leaves a passage of a long paragraph off screen, on a phone above all.)
  function reveal(range) {
    var node = range.startContainer;
    var box = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    for (; box && box !== document.body && box !== document.documentElement; box = box.parentElement) {
      var overflow = getComputedStyle(box).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollHeight > box.clientHeight) {
        var inner = range.getBoundingClientRect();
        var outer = box.getBoundingClientRect();
        box.scrollTop += inner.top + inner.height / 2 - (outer.top + box.clientTop + box.clientHeight / 2);
      }
    }
    var rect = range.getBoundingClientRect();
    // The visual viewport: what shows of the page when a phone's keyboard is up.
    var view = window.visualViewport;
    var middle = view ? view.offsetTop + view.height / 2 : window.innerHeight / 2;
    window.scrollBy(0, rect.top + rect.height / 2 - middle);
  }

  // Keyboard selection: the focusable container gets a caret that the arrows
  // move and Shift+arrows extend, as in an editor. `changed()` runs after each
  // move; keys it does not handle are left to the page.
  var moves = {
    ArrowLeft: ["backward", "character"], ArrowRight: ["forward", "character"],
    ArrowUp: ["backward", "line"], ArrowDown: ["forward", "line"],
    Home: ["backward", "lineboundary"], End: ["forward", "lineboundary"]
  };
  function caret(container, changed) {
    container.addEventListener("focus", function () {
      var selection = window.getSelection();
      if (selection.rangeCount && container.contains(selection.anchorNode)) return;
      var first = container.querySelector("[data-start]");
      if (first) selection.collapse(first, 0);
    });
    container.addEventListener("keydown", function (event) {
      if (event.target !== container) return;
      var move = moves[event.key];
      var selection = window.getSelection();
      if (!move || !selection.modify) return;
      var granularity = event.ctrlKey || event.altKey ? "word" : move[1];
      selection.modify(event.shiftKey ? "extend" : "move", move[0], granularity);
      event.preventDefault();
      changed();
    });
    container.addEventListener("mouseup", function () { setTimeout(changed, 0); });
    container.addEventListener("touchend", function () { setTimeout(changed, 0); });
  }

  window.ApparatusSelection = {
    describe: describe, caret: caret, rangeOf: rangeOf, reveal: reveal
  };
})();
