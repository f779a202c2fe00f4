// portmatrix report: sorts and filters the tables. No network, no data from the page's text is
// ever turned into markup: rows are moved and hidden, never rebuilt from strings.
(function () {
  'use strict';
  function key(cell, numeric) {
    var v = cell.getAttribute('data-sort');
    if (v === null) { v = cell.textContent; }
    if (numeric) { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v.toLowerCase();
  }
  function makeSortable(table) {
    var heads = table.querySelectorAll('thead th.sort');
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var numeric = th.classList.contains('num');
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        rows.sort(function (a, b) {
          var x = key(a.cells[index], numeric), y = key(b.cells[index], numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), makeSortable);

  var table = document.getElementById('flows');
  var text = document.getElementById('flow-filter');
  var verdict = document.getElementById('verdict-filter');
  var count = document.getElementById('flow-count');
  function filter() {
    if (!table) { return; }
    var q = text.value.trim().toLowerCase();
    var v = verdict.value;
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var ok = (v === '' || rows[i].getAttribute('data-verdict') === v)
        && (q === '' || rows[i].textContent.toLowerCase().indexOf(q) >= 0);
      rows[i].hidden = !ok;
      if (ok) { shown++; }
    }
    count.textContent = shown.toLocaleString('en-US') + ' of ' + rows.length.toLocaleString('en-US') + ' shown';
  }
  // A link can carry a filter and a sort: report.html#q=3389&v=unexpected_port&sort=bytes&desc
  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (kv) { params[decodeURIComponent(i < 0 ? kv : kv.slice(0, i))] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1)); }
    });
    return params;
  }
  if (table) {
    var p = fromHash();
    if (p.q) { text.value = p.q; }
    if (p.v) { verdict.value = p.v; }
    if (p.sort) {
      var th = table.querySelector('thead th[data-key="' + p.sort.replace(/[^a-z_]/g, '') + '"]');
      if (th) { th.click(); if (p.desc !== undefined) { th.click(); } }
    }
    text.addEventListener('input', filter);
    verdict.addEventListener('change', filter);
    filter();
  }
  // Marker for tests and for the reader: the report's own script ran.
  document.documentElement.setAttribute('data-report-script', 'ran');
  var status = document.getElementById('script-status');
  if (status) { status.textContent = 'interactive: click a column heading to sort'; }
})();
