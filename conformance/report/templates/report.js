(function () {
  "use strict";

  // The requirement table's filters: outcome checkboxes, area, level and a text search.
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.requirements tbody tr"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=outcome]"));
  var area = document.getElementById("filter-area");
  var level = document.getElementById("filter-level");
  var search = document.getElementById("filter-text");
  var shown = document.getElementById("shown");

  function applyFilters() {
    var outcomes = {};
    boxes.forEach(function (box) { outcomes[box.value] = box.checked; });
    var wantArea = area.value, wantLevel = level.value;
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var visible = outcomes[row.dataset.outcome] === true
        && (!wantArea || row.dataset.area === wantArea)
        && (!wantLevel || row.dataset.level === wantLevel)
        && words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }

  boxes.forEach(function (box) { box.addEventListener("change", applyFilters); });
  area.addEventListener("change", applyFilters);
  level.addEventListener("change", applyFilters);
  search.addEventListener("input", applyFilters);
  document.querySelectorAll("button[data-outcomes]").forEach(function (button) {
    button.addEventListener("click", function () {
      var all = button.dataset.outcomes === "all";
      boxes.forEach(function (box) { box.checked = all; });
      applyFilters();
    });
  });
  applyFilters();

  // Copy buttons on the curl lines: the Clipboard API when the page may use it, else a
  // hidden textarea and execCommand("copy") (older browsers, some file:// setups).
  function copyWithTextarea(text) {
    var box = document.createElement("textarea");
    box.value = text;
    box.setAttribute("readonly", "");
    box.style.position = "fixed";
    box.style.top = "0";
    box.style.left = "0";
    box.style.opacity = "0";
    document.body.appendChild(box);
    box.focus();
    box.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (ignored) {
      done = false;
    }
    document.body.removeChild(box);
    return done;
  }

  function copyText(text) {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyWithTextarea(text); }
      );
    }
    return Promise.resolve(copyWithTextarea(text));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) { return; }
    var block = button.closest(".curl");
    var feedback = block.querySelector(".copied");
    copyText(block.querySelector("pre").textContent).then(function (done) {
      feedback.textContent = done ? "copied" : "press Ctrl+C to copy";
      if (!done) {
        var range = document.createRange();
        range.selectNodeContents(block.querySelector("pre"));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      window.setTimeout(function () { feedback.textContent = ""; }, 2500);
    });
  });
}());
