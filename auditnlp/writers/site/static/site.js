/* auditnlp review site: language toggle, highlight on arrival, filterable paged tables, lazy charts.
   Plain JavaScript, no library; the data of each table is JSON in a <script type="application/json">. */
(function () {
  "use strict";
  var root = document.documentElement;

  // ---- language: Chinese by default, English keys on request (remembered in this browser)
  function setLang(lang) {
    root.setAttribute("data-lang", lang);
    try { localStorage.setItem("auditnlp-lang", lang); } catch (e) { /* file:// may forbid storage */ }
  }
  try {
    var saved = localStorage.getItem("auditnlp-lang");
    if (saved === "zh" || saved === "en") { root.setAttribute("data-lang", saved); }
  } catch (e) { /* ignore */ }
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-toggle-lang]") : null;
    if (button) { setLang(root.getAttribute("data-lang") === "en" ? "zh" : "en"); }
  });

  // ---- arrival: the linked record and its sentence are highlighted and scrolled into view
  function arrive() {
    var old = document.querySelectorAll(".arrived, .arrived-mark");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("arrived", "arrived-mark"); }
    var id = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (!id) { return; }
    var el = document.getElementById(id);
    if (!el) { return; }
    el.classList.add("arrived-mark");
    var sentence = el.classList.contains("sent") ? el : el.closest(".sent");
    if (sentence) { sentence.classList.add("arrived"); }
    el.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", arrive);

  // ---- tables
  function cellText(cell) {
    if (cell === null || cell === undefined) { return ""; }
    if (typeof cell === "object") { return cell.t === undefined || cell.t === null ? "" : String(cell.t); }
    return String(cell);
  }
  function searchText(cell) {  // what the filter matches: the text in both languages
    return cell && typeof cell === "object" && cell.e ? cellText(cell) + " " + cell.e : cellText(cell);
  }
  function sortValue(cell) {
    if (cell && typeof cell === "object" && typeof cell.v === "number") { return cell.v; }
    if (typeof cell === "number") { return cell; }
    return cellText(cell);
  }
  function label(parent, zh, en) {
    var a = document.createElement("span"); a.className = "zh"; a.textContent = zh; parent.appendChild(a);
    var b = document.createElement("span"); b.className = "en"; b.textContent = en; parent.appendChild(b);
  }
  function fillCell(td, cell, column) {
    var cls = column.kind === "num" ? "num" : (column.kind === "long" ? "long" : "");
    if (cell && typeof cell === "object") {
      if (cell.c) { cls += " " + cell.c; }
      var target = td;
      if (cell.h) {
        var a = document.createElement("a");
        a.href = cell.h;
        td.appendChild(a);
        target = a;
      }
      if (cell.e) { label(target, cellText(cell), cell.e); } else { target.textContent = cellText(cell); }
      if (cell.tt) { td.title = cell.tt; }
      if (cell.f) {
        for (var i = 0; i < cell.f.length; i++) {
          var flag = document.createElement("span");
          flag.className = "flag" + (cell.f[i].bad ? " bad" : "");
          flag.title = cell.f[i].tt || "";
          label(flag, cell.f[i].zh, cell.f[i].en);
          td.appendChild(flag);
        }
      }
    } else {
      td.textContent = cellText(cell);
    }
    if (column.sticky) { cls += " sticky"; }
    if (cls) { td.className = cls.trim(); }
  }

  function Table(holder, spec) {
    var self = this;
    this.spec = spec;
    this.rows = spec.rows;
    this.view = spec.rows;
    this.page = 0;
    this.size = spec.pageSize || 100;
    this.sortCol = -1;
    this.sortDir = 1;
    this.texts = spec.rows.map(function (row) { return row.map(searchText).join("\u0001").toLowerCase(); });

    var tools = document.createElement("div"); tools.className = "tools";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = holder.getAttribute("data-placeholder") || "";
    input.setAttribute("aria-label", "filter");
    tools.appendChild(input);
    this.count = document.createElement("span"); this.count.className = "note"; tools.appendChild(this.count);
    var pager = document.createElement("span"); pager.className = "pager";
    this.prev = document.createElement("button"); this.prev.textContent = "‹";
    this.next = document.createElement("button"); this.next.textContent = "›";
    this.pageInfo = document.createElement("span");
    pager.appendChild(this.prev); pager.appendChild(this.pageInfo); pager.appendChild(this.next);
    tools.appendChild(pager);
    holder.appendChild(tools);
    var table = document.createElement("table"); table.className = "data";
    if (spec.coreToggle) {  // headline indicators only, or every column
      var box = document.createElement("label");
      var check = document.createElement("input"); check.type = "checkbox"; check.checked = true;
      box.appendChild(check); label(box, spec.coreToggle.zh, spec.coreToggle.en);
      tools.appendChild(box);
      table.classList.add("core-only");
      check.addEventListener("change", function () { table.classList.toggle("core-only", check.checked); });
    }

    var scroll = document.createElement("div"); scroll.className = "scroll";
    var thead = document.createElement("thead"); var tr = document.createElement("tr");
    spec.columns.forEach(function (column, index) {
      var th = document.createElement("th");
      label(th, column.zh, column.en);
      if (column.unit) { var u = document.createElement("span"); u.className = "unit"; u.textContent = column.unit; th.appendChild(u); }
      if (column.sticky) { th.className = "sticky"; }
      if (column.extra) { th.classList.add("extra"); }
      th.addEventListener("click", function () { self.sortBy(index, th); });
      tr.appendChild(th);
    });
    thead.appendChild(tr); table.appendChild(thead);
    this.tbody = document.createElement("tbody"); table.appendChild(this.tbody);
    scroll.appendChild(table); holder.appendChild(scroll);
    this.headers = tr.children;

    input.addEventListener("input", function () { self.filter(input.value); });
    this.prev.addEventListener("click", function () { if (self.page > 0) { self.page--; self.draw(); } });
    this.next.addEventListener("click", function () {
      if ((self.page + 1) * self.size < self.view.length) { self.page++; self.draw(); }
    });
    this.draw();
  }
  Table.prototype.filter = function (query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    var texts = this.texts;
    var order = this.rows.map(function (_, i) { return i; }).filter(function (i) {
      for (var t = 0; t < terms.length; t++) { if (texts[i].indexOf(terms[t]) < 0) { return false; } }
      return true;
    });
    var rows = this.rows;
    this.view = order.map(function (i) { return rows[i]; });
    if (this.sortCol >= 0) { this.applySort(); }
    this.page = 0;
    this.draw();
  };
  Table.prototype.applySort = function () {
    var col = this.sortCol, dir = this.sortDir;
    this.view = this.view.slice().sort(function (a, b) {
      var x = sortValue(a[col]), y = sortValue(b[col]);
      if (x === "" && y !== "") { return 1; }
      if (y === "" && x !== "") { return -1; }
      if (typeof x === "number" && typeof y === "number") { return (x - y) * dir; }
      return String(x).localeCompare(String(y), "zh") * dir;
    });
  };
  Table.prototype.sortBy = function (index, th) {
    this.sortDir = this.sortCol === index ? -this.sortDir : 1;
    this.sortCol = index;
    for (var i = 0; i < this.headers.length; i++) { this.headers[i].classList.remove("sorted-asc", "sorted-desc"); }
    th.classList.add(this.sortDir > 0 ? "sorted-asc" : "sorted-desc");
    this.applySort();
    this.page = 0;
    this.draw();
  };
  Table.prototype.draw = function () {
    var columns = this.spec.columns;
    var start = this.page * this.size;
    var rows = this.view.slice(start, start + this.size);
    var body = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      for (var c = 0; c < columns.length; c++) {
        var td = document.createElement(columns[c].sticky ? "th" : "td");
        fillCell(td, row[c], columns[c]);
        if (columns[c].extra) { td.classList.add("extra"); }
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    this.tbody.textContent = "";
    this.tbody.appendChild(body);
    var pages = Math.max(1, Math.ceil(this.view.length / this.size));
    this.count.textContent = this.view.length + " / " + this.rows.length;
    this.pageInfo.textContent = " " + (this.page + 1) + " / " + pages + " ";
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page + 1 >= pages;
  };

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function tables() {
    var holders = document.querySelectorAll("[data-table]");
    for (var i = 0; i < holders.length; i++) {
      var spec = readJSON(holders[i].getAttribute("data-table"));
      if (spec) { holders[i].tableView = new Table(holders[i], spec); }
    }
  }

  // ---- charts (plotly.js, written beside the pages), drawn when they scroll into view
  function charts() {
    var nodes = document.querySelectorAll("[data-chart]");
    if (!nodes.length || typeof window.Plotly === "undefined") { return; }
    var data = readJSON("chart-data") || {};
    function draw(node) {
      if (node.getAttribute("data-drawn")) { return; }
      node.setAttribute("data-drawn", "1");
      var spec = data[node.getAttribute("data-chart")];
      if (!spec) { return; }
      window.Plotly.newPlot(node, spec.traces, spec.layout, { displaylogo: false, responsive: true });
      node.on("plotly_click", function (ev) {
        var point = ev.points && ev.points[0];
        if (point && point.customdata) { window.location.href = point.customdata; }
      });
    }
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) { if (entry.isIntersecting) { draw(entry.target); seen.unobserve(entry.target); } });
      }, { rootMargin: "300px" });
      for (var i = 0; i < nodes.length; i++) { seen.observe(nodes[i]); }
    } else {
      for (var j = 0; j < nodes.length; j++) { draw(nodes[j]); }
    }
  }

  function start() { tables(); charts(); arrive(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
