/* Every page (base.html). No page has an inline script: the Content-Security-Policy allows scripts from files only. */
(function () {
  /* On a phone a data table shows each row as a card: each cell is labelled with its column's header. */
  document.querySelectorAll("table").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.innerText.trim(); });
    if (!heads.length) return;
    table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && heads[i]) cell.setAttribute("data-label", heads[i]);
      });
    });
  });
})();
