// NLU review queue: mark entities by selecting text with the mouse (click and drag), then a type button.
// Offsets are counted in Unicode code points of the shown (masked) text, as the server counts them.
(function () {
  "use strict";
  var names = JSON.parse(document.getElementById("entity-names").textContent);

  function codePoints(s) { return Array.from(s).length; }

  function offsetsIn(el, range) {
    var before = document.createRange();
    before.selectNodeContents(el);
    before.setEnd(range.startContainer, range.startOffset);
    var start = codePoints(before.toString());
    return { start: start, end: start + codePoints(range.toString()) };
  }

  function render(item) {
    var form = item.querySelector("form.nlu-label");
    var input = form.querySelector("input[name=entities]");
    var list = form.querySelector("ul.entities");
    var text = Array.from(item.querySelector(".nlu-text").textContent);
    var spans = JSON.parse(input.value || "[]");
    list.textContent = "";
    spans.forEach(function (e, i) {
      var li = document.createElement("li");
      li.textContent = (names[e.entity] || e.entity) + ": «" + text.slice(e.start, e.end).join("") + "» ";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = list.dataset.remove;
      remove.addEventListener("click", function () {
        spans.splice(i, 1);
        input.value = JSON.stringify(spans);
        render(item);
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  document.querySelectorAll("article.nlu-item").forEach(function (item) {
    var textEl = item.querySelector(".nlu-text");
    var tools = item.querySelector(".entity-tools");
    var input = item.querySelector("input[name=entities]");
    var pending = null;
    tools.hidden = false;
    tools.querySelectorAll("button.mark").forEach(function (b) { b.disabled = true; });
    textEl.addEventListener("mouseup", function () {
      var sel = window.getSelection();
      pending = null;
      if (sel && sel.rangeCount && !sel.isCollapsed) {
        var range = sel.getRangeAt(0);
        if (textEl.contains(range.startContainer) && textEl.contains(range.endContainer)) {
          pending = offsetsIn(textEl, range);
        }
      }
      tools.querySelectorAll("button.mark").forEach(function (b) { b.disabled = pending === null; });
    });
    tools.querySelectorAll("button.mark").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!pending || pending.end <= pending.start) { return; }
        var spans = JSON.parse(input.value || "[]").filter(function (e) {
          return e.end <= pending.start || e.start >= pending.end;  // a new mark replaces what it overlaps
        });
        spans.push({ entity: button.dataset.entity, start: pending.start, end: pending.end });
        spans.sort(function (a, b) { return a.start - b.start; });
        input.value = JSON.stringify(spans);
        pending = null;
        window.getSelection().removeAllRanges();
        tools.querySelectorAll("button.mark").forEach(function (b) { b.disabled = true; });
        render(item);
      });
    });
    render(item);
  });
})();
