/* Sortable tables: a click on a heading of a table.sortable sorts its rows by that column,
   a second click the other way. A cell's data-value (when set) is what is compared; a
   heading with data-sort="number" or "risk" compares numbers. Served from this origin. */
(function () {
  "use strict";
  function key(cell, numeric) {
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
    if (!numeric) { return raw; }
    var n = parseFloat(raw);
    return isNaN(n) ? Infinity : n;
  }
  function sortBy(table, th, col) {
    var numeric = th.hasAttribute("data-sort");
    var down = th.getAttribute("aria-sort") === "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
      var c = numeric ? x - y : String(x).localeCompare(String(y));
      return down ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
        th.tabIndex = 0;
        th.classList.add("sort");
        th.addEventListener("click", function () { sortBy(table, th, col); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
        });
      });
    });
  });
})();
