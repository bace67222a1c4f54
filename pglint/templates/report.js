// pglint HTML report: filters (rule, severity, file, text), counts per filter value,
// grouping by file or by rule, collapse/expand. Allowed by the page's CSP through its hash.
(function () {
  "use strict";
  var doc = document;
  var t0 = performance.now();
  var items = Array.prototype.slice.call(doc.querySelectorAll("article.finding"));
  var texts = items.map(function (a) { return a.textContent.toLowerCase(); });
  var state = { severity: new Set(), rule: new Set(), file: "", text: "", group: "file" };
  var groups = { file: {}, rule: {} };
  doc.querySelectorAll("details.group").forEach(function (g) { groups[g.dataset.by][g.dataset.key] = g; });
  var facetButtons = Array.prototype.slice.call(doc.querySelectorAll("button.fv"));
  var fileSelect = doc.getElementById("f-file");
  var textInput = doc.getElementById("f-text");
  var fileOptions = Array.prototype.slice.call(fileSelect.options).filter(function (o) { return o.value; });

  function bump(map, key) { map[key] = (map[key] || 0) + 1; }

  function apply() {
    var shown = 0;
    var counts = { severity: {}, rule: {}, file: {} };
    for (var i = 0; i < items.length; i++) {
      var a = items[i], d = a.dataset;
      var ok = (!state.severity.size || state.severity.has(d.severity)) &&
               (!state.rule.size || state.rule.has(d.rule)) &&
               (!state.file || state.file === d.path) &&
               (!state.text || texts[i].indexOf(state.text) >= 0);
      if (a.hidden === ok) { a.hidden = !ok; }
      if (ok) {
        shown++;
        bump(counts.severity, d.severity);
        bump(counts.rule, d.rule);
        bump(counts.file, d.path);
      }
    }
    facetButtons.forEach(function (b) {
      b.querySelector(".shown").textContent = counts[b.dataset.facet][b.dataset.value] || 0;
    });
    fileOptions.forEach(function (o) {
      o.textContent = o.value + " (" + (counts.file[o.value] || 0) + " of " + o.dataset.total + ")";
    });
    var filtered = state.severity.size || state.rule.size || state.file || state.text;
    ["file", "rule"].forEach(function (by) {
      Object.keys(groups[by]).forEach(function (key) {
        var g = groups[by][key], n = counts[by][key] || 0;
        var c = g.querySelector(".gcount .shown");
        if (c) { c.textContent = n; }
        g.hidden = Boolean(filtered) && n === 0;
      });
    });
    doc.getElementById("shown-count").textContent = shown;
    doc.body.dataset.shown = shown;
  }

  function regroup(by) {
    state.group = by;
    items.forEach(function (a) {
      var g = groups[by][by === "file" ? a.dataset.path : a.dataset.rule];
      if (g) { g.querySelector(".items").appendChild(a); }
    });
    doc.getElementById("groups-file").hidden = by !== "file";
    doc.getElementById("groups-rule").hidden = by !== "rule";
    doc.querySelectorAll("button[data-group]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.group === by));
    });
    doc.body.dataset.group = by;
  }

  facetButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var set = state[b.dataset.facet], v = b.dataset.value;
      if (set.has(v)) { set.delete(v); } else { set.add(v); }
      b.setAttribute("aria-pressed", String(set.has(v)));
      apply();
    });
  });
  fileSelect.addEventListener("change", function () { state.file = fileSelect.value; apply(); });
  textInput.addEventListener("input", function () { state.text = textInput.value.trim().toLowerCase(); apply(); });
  doc.querySelectorAll("button[data-group]").forEach(function (b) {
    b.addEventListener("click", function () { regroup(b.dataset.group); });
  });
  function openAll(open) {
    Object.keys(groups[state.group]).forEach(function (k) { groups[state.group][k].open = open; });
  }
  doc.getElementById("collapse-all").addEventListener("click", function () { openAll(false); });
  doc.getElementById("expand-all").addEventListener("click", function () { openAll(true); });
  doc.getElementById("clear").addEventListener("click", function () {
    state.severity.clear(); state.rule.clear(); state.file = ""; state.text = "";
    facetButtons.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    fileSelect.value = ""; textInput.value = "";
    apply();
  });
  // a link to a rule's section opens its embedded page
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var t = id && doc.getElementById(id);
    if (t) {
      t.querySelectorAll("details.page").forEach(function (p) { p.open = true; });
      if (t.tagName === "DETAILS") { t.open = true; }
    }
  }
  window.addEventListener("hashchange", openTarget);
  doc.getElementById("filters").hidden = false;
  openTarget();
  apply();
  doc.body.dataset.initMs = Math.round(performance.now() - t0);
  doc.body.dataset.ready = "1";
}());
