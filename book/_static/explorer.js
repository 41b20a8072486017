/* The explorer page (book/explorer.md): pick cities, series, rate or count, linear or log, a span of years;
 * the chart is a Vega-Lite spec drawn by the site's own vega-embed (no server, works from file://).
 * Data: window.CITYCASES_EXPLORER, written by `python -m citycases.explorer` into _static/data/explorer-data.js.
 * Text from the data is only ever set as text (textContent, attribute values, Vega text marks), never as HTML.
 * window.citycasesExplorer exposes the current view (rows, CSV) for the browser tests. */
(function () {
  "use strict";

  var DATA = window.CITYCASES_EXPLORER;
  var EMBED = {mode: "vega-lite", renderer: "svg",
               actions: {export: true, source: false, compiled: false, editor: false}};
  var CSV_FIELDS = ["city", "city_slug", "series", "series_label", "main_series", "comparable_series", "year",
                    "homicides", "population", "homicide_rate", "rate_ci_low", "rate_ci_high", "unit",
                    "source_id", "source", "population_source_id", "status"];
  var MEASURES = {rate: {field: "rate", title: "Homicides per 100,000 inhabitants", short: "rate per 100,000"},
                  count: {field: "homicides", title: "Number of homicides", short: "homicides"}};

  function byId(id) { return document.getElementById(id); }

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ data
  var cities = [], cityBySlug = {}, rows = [], years = [Infinity, -Infinity];

  function load() {
    DATA.cities.forEach(function (c, i) {
      var city = {slug: c.slug, name: c.name, index: i, chapter: c.chapter, main: c.main, comparable: c.comparable,
                  colour: /^#[0-9a-fA-F]{6}$/.test(c.colour) ? c.colour : "#333333", series: [], seriesById: {}};
      c.series.forEach(function (s) {
        var series = {id: s.id, label: s.label, main: !!s.main, comparable: !!s.comparable,
                      line: c.name + " \u2014 " + s.label};
        city.series.push(series);
        city.seriesById[s.id] = series;
      });
      cities.push(city);
      cityBySlug[city.slug] = city;
    });
    var f = {};
    DATA.fields.forEach(function (name, i) { f[name] = i; });
    DATA.rows.forEach(function (r) {
      var city = cityBySlug[r[f.city]];
      var series = city && city.seriesById[r[f.series]];
      if (!series) return;
      rows.push({city: city, series: series, year: r[f.year], homicides: r[f.homicides],
                 population: r[f.population], rate: r[f.rate], rate_ci_low: r[f.rate_ci_low],
                 rate_ci_high: r[f.rate_ci_high], unit: r[f.unit], source_id: r[f.source_id],
                 population_source_id: r[f.population_source_id], status: r[f.status]});
      years[0] = Math.min(years[0], r[f.year]);
      years[1] = Math.max(years[1], r[f.year]);
    });
  }

  // ------------------------------------------------------------------ state and controls
  var state = {cities: {}, mode: "comparable", custom: {}, measure: "rate", scale: "linear", intervals: false,
               from: 0, to: 0};

  function seriesShown(city) {
    if (state.mode === "main") return [city.main];
    if (state.mode === "comparable") return [city.comparable];
    if (state.mode === "all") return city.series.map(function (s) { return s.id; });
    return Object.keys(state.custom[city.slug] || {}).filter(function (id) { return state.custom[city.slug][id]; });
  }

  function seriesSuffix(s) {
    var parts = [];
    if (s.main) parts.push("main");
    if (s.comparable) parts.push("comparable");
    return parts.length ? " (" + parts.join(", ") + ")" : "";
  }

  function buildCityList() {
    var list = byId("explorer-city-list");
    cities.forEach(function (city) {
      var id = "explorer-city-" + city.index;
      var box = make("input", {type: "checkbox", id: id, value: city.slug});
      box.checked = true;
      state.cities[city.slug] = true;
      box.addEventListener("change", function () {
        state.cities[city.slug] = box.checked;
        buildCustom();
        draw();
      });
      var swatch = make("span", {"class": "explorer-swatch", "aria-hidden": "true"});
      swatch.style.backgroundColor = city.colour;
      var label = make("label", {"for": id});
      label.appendChild(swatch);
      label.appendChild(document.createTextNode(city.name));
      var item = make("span", {"class": "explorer-choice"});
      item.appendChild(box);
      item.appendChild(label);
      list.appendChild(item);
    });
  }

  function buildCustom() {
    var box = byId("explorer-series-custom");
    box.hidden = state.mode !== "custom";
    while (box.firstChild) box.removeChild(box.firstChild);
    if (state.mode !== "custom") return;
    cities.forEach(function (city) {
      if (!state.cities[city.slug]) return;
      var group = make("fieldset", {"class": "explorer-city-series"});
      group.appendChild(make("legend", {}, city.name));
      city.series.forEach(function (s, j) {
        var id = "explorer-series-" + city.index + "-" + j;
        var input = make("input", {type: "checkbox", id: id, value: s.id});
        input.checked = !!(state.custom[city.slug] || {})[s.id];
        input.addEventListener("change", function () {
          state.custom[city.slug] = state.custom[city.slug] || {};
          state.custom[city.slug][s.id] = input.checked;
          draw();
        });
        var item = make("span", {"class": "explorer-choice"});
        item.appendChild(input);
        item.appendChild(make("label", {"for": id}, s.label + seriesSuffix(s)));
        group.appendChild(item);
      });
      box.appendChild(group);
    });
  }

  function readYears() {
    var from = parseInt(byId("explorer-year-from").value, 10), to = parseInt(byId("explorer-year-to").value, 10);
    if (!isFinite(from)) from = years[0];
    if (!isFinite(to)) to = years[1];
    from = Math.min(Math.max(from, years[0]), years[1]);
    to = Math.min(Math.max(to, years[0]), years[1]);
    if (from > to) { var t = from; from = to; to = t; }
    state.from = from;
    state.to = to;
    byId("explorer-year-from").value = from;
    byId("explorer-year-to").value = to;
  }

  function bindControls() {
    var mode = byId("explorer-series-mode");
    mode.value = state.mode;
    mode.addEventListener("change", function () {
      if (mode.value === "custom") {  // start from what was shown
        cities.forEach(function (city) {
          state.custom[city.slug] = {};
          seriesShown(city).forEach(function (id) { state.custom[city.slug][id] = true; });
        });
      }
      state.mode = mode.value;
      byId("explorer-series-mode").closest("fieldset").classList.toggle("is-custom", state.mode === "custom");
      buildCustom();
      draw();
    });
    document.querySelectorAll('input[name="explorer-measure"]').forEach(function (r) {
      r.addEventListener("change", function () { if (r.checked) { state.measure = r.value; draw(); } });
    });
    document.querySelectorAll('input[name="explorer-scale"]').forEach(function (r) {
      r.addEventListener("change", function () { if (r.checked) { state.scale = r.value; draw(); } });
    });
    var ci = byId("explorer-intervals");
    ci.addEventListener("change", function () { state.intervals = ci.checked; draw(); });
    ["explorer-year-from", "explorer-year-to"].forEach(function (id) {
      var input = byId(id);
      input.min = years[0];
      input.max = years[1];
      input.addEventListener("change", function () { readYears(); draw(); });
    });
    byId("explorer-year-from").value = years[0];
    byId("explorer-year-to").value = years[1];
    readYears();
    byId("explorer-csv").addEventListener("click", downloadCsv);
    byId("explorer-png").addEventListener("click", function () { saveImage("png"); });
    byId("explorer-svg").addEventListener("click", function () { saveImage("svg"); });
  }

  // ------------------------------------------------------------------ the view
  /* The rows of the current view (exactly the points drawn) and the rows left out, with why. */
  function view() {
    var measure = MEASURES[state.measure].field, out = [], noRate = 0, notPositive = 0;
    var wanted = {};
    cities.forEach(function (city) {
      if (!state.cities[city.slug]) return;
      seriesShown(city).forEach(function (id) { wanted[city.slug + "\u0000" + id] = true; });
    });
    rows.forEach(function (r) {
      if (!wanted[r.city.slug + "\u0000" + r.series.id] || r.year < state.from || r.year > state.to) return;
      var v = r[measure];
      if (v === null || v === undefined) { noRate++; return; }
      if (state.scale === "log" && !(v > 0)) { notPositive++; return; }
      out.push(r);
    });
    return {rows: out, noRate: noRate, notPositive: notPositive};
  }

  function fmt(n) {
    return n.toLocaleString("en-GB");
  }

  function spec(v) {
    var m = MEASURES[state.measure], lines = [], colours = [], dashes = [], seen = {}, values = [];
    var segments = {}, perCity = {};
    v.rows.forEach(function (r) {
      var s = r.series;
      if (!seen[s.line]) {  // a city's first series drawn (its main one, if shown) is solid, the others dashed
        seen[s.line] = true;
        var k = perCity[r.city.slug] = (perCity[r.city.slug] || 0) + 1;
        lines.push(s.line);
        colours.push(r.city.colour);
        dashes.push(k === 1 ? [1, 0] : DATA.chart.dashes[(k - 2) % DATA.chart.dashes.length]);
      }
      // a gap of missing years breaks the line (points still mark every year that has a value)
      var key = s.line, prev = segments[key];
      var seg = prev && r.year === prev.year + 1 ? prev.seg : (prev ? prev.seg + 1 : 0);
      segments[key] = {year: r.year, seg: seg};
      values.push({line: s.line, segment: s.line + "\u0000" + seg, city: r.city.name, series: s.label,
                   year: r.year, value: r[m.field], homicides: r.homicides, rate: r.rate,
                   ci_low: r.rate_ci_low, ci_high: r.rate_ci_high,
                   source: sourceLabel(r.source_id)});
    });
    var span = yearSpan(v);
    var scaleWord = state.scale === "log" ? "logarithmic" : "linear";
    var title = m.title + ", " + span + (state.scale === "log" ? " (logarithmic scale)" : "");
    if (!values.length) {
      return {description: "An empty chart: no rows match the choices above (" + m.short + ", " + span +
                           "). Choose at least one city and one series.",
              title: {text: title}, width: DATA.chart.width, height: 80, config: DATA.chart.config,
              data: {values: [{t: "No rows in this view: choose at least one city and one series."}]},
              mark: {type: "text", fontSize: 13, color: "#333333"}, encoding: {text: {field: "t"}}};
    }
    var x = {field: "year", type: "quantitative", title: "Year",
             axis: {format: "d", tickMinStep: 1}, scale: {nice: false, zero: false}};
    var yScale = {type: state.scale};
    if (state.scale === "log") yScale.nice = false; else yScale.zero = true;
    var y = {field: "value", type: "quantitative", title: m.title, scale: yScale};
    var legend = {title: null, orient: "bottom", direction: "vertical", labelLimit: DATA.chart.legend_limit,
                  symbolStrokeWidth: 2, symbolType: "stroke", symbolSize: 500};
    var colour = {field: "line", type: "nominal", scale: {domain: lines, range: colours}, legend: legend};
    var dash = {field: "line", type: "nominal", scale: {domain: lines, range: dashes}, legend: legend};
    var tooltip = [{field: "city", title: "City"}, {field: "series", title: "Series"},
                   {field: "year", title: "Year", format: "d"},
                   {field: "homicides", title: "Homicides", format: ",d"},
                   {field: "rate", title: "Rate per 100,000", format: ",.4~r"},
                   {field: "ci_low", title: "95% interval, low", format: ",.4~r"},
                   {field: "ci_high", title: "95% interval, high", format: ",.4~r"},
                   {field: "source", title: "Source"}];
    var layers = [];
    if (state.intervals && state.measure === "rate") {
      layers.push({mark: {type: "rule", opacity: 0.5, strokeWidth: 1.5},
                   transform: [{filter: "isValid(datum.ci_low) && isValid(datum.ci_high)" +
                                        (state.scale === "log" ? " && datum.ci_low > 0" : "")}],
                   encoding: {x: x, y: {field: "ci_low", type: "quantitative", scale: yScale, title: m.title},
                              y2: {field: "ci_high"}, color: colour}});
    }
    layers.push({mark: {type: "line", strokeWidth: 2},
                 encoding: {x: x, y: y, color: colour, strokeDash: dash, detail: {field: "segment"}}});
    layers.push({mark: {type: "point", filled: true, size: 30, opacity: 1},
                 encoding: {x: x, y: y, color: colour, tooltip: tooltip}});
    var names = lines.join("; ");
    return {
      description: "Line chart of " + m.title.toLowerCase() + " by year, " + span + ", on a " + scaleWord +
                   " scale: " + values.length + " values in " + lines.length + " series (" + names + ").",
      title: {text: title},
      width: DATA.chart.width, height: DATA.chart.height, config: DATA.chart.config,
      data: {values: values},
      layer: layers
    };
  }

  /* The years drawn (first to last), else the years chosen. */
  function yearSpan(v) {
    var lo = state.from, hi = state.to;
    if (v.rows.length) {
      lo = Math.min.apply(null, v.rows.map(function (r) { return r.year; }));
      hi = Math.max.apply(null, v.rows.map(function (r) { return r.year; }));
    }
    return lo === hi ? String(lo) : lo + "\u2013" + hi;
  }

  function sourceLabel(id) {
    var s = id && DATA.sources[id];
    return s ? s.producer + ": " + s.title : (id || "");
  }

  function status(v) {
    var nCities = {}, nSeries = {};
    v.rows.forEach(function (r) { nCities[r.city.slug] = 1; nSeries[r.series.line] = 1; });
    var c = Object.keys(nCities).length, s = Object.keys(nSeries).length;
    var text = v.rows.length
      ? "Showing " + fmt(v.rows.length) + " value" + (v.rows.length === 1 ? "" : "s") + " in " + s + " series (" + c +
        " cit" + (c === 1 ? "y" : "ies") + "), " + yearSpan(v) + "."
      : "No values in this view: choose at least one city and one series.";
    if (v.noRate) text += " " + v.noRate + " year" + (v.noRate === 1 ? "" : "s") +
                          " without a population (so no rate) left out.";
    if (v.notPositive) text += " " + v.notPositive + " zero value" + (v.notPositive === 1 ? "" : "s") +
                               " left out (a logarithmic scale cannot show zero).";
    byId("explorer-status").textContent = text;
  }

  /* One line under the chart; the sources of the values drawn (counts and populations) unfold below it, each
   * linked to its entry on the sources page. */
  function sources(v) {
    var box = byId("explorer-sources"), ids = {};
    while (box.firstChild) box.removeChild(box.firstChild);
    v.rows.forEach(function (r) {
      [r.source_id, r.population_source_id].forEach(function (id) { if (id) ids[id] = 1; });
    });
    var list = Object.keys(ids).sort(function (a, b) { return sourceLabel(a).localeCompare(sourceLabel(b)); });
    if (!list.length) return;
    var details = make("details"), ul = make("ul");
    details.appendChild(make("summary", {}, "Sources of this view (" + list.length + ")"));
    list.forEach(function (id) {
      var li = make("li");
      li.appendChild(make("a", {href: "sources.html#source-" + id.replace(/[^a-z0-9]+/g, "-")}, sourceLabel(id)));
      ul.appendChild(li);
    });
    details.appendChild(ul);
    box.appendChild(details);
  }

  var current = {result: null, view: {rows: []}, draws: 0, token: 0};

  function draw() {
    var v = view(), el = byId("explorer-chart"), token = ++current.token, s = spec(v);
    current.view = v;
    status(v);
    sources(v);
    el.setAttribute("aria-label", "Chart: " + s.title.text);
    el.setAttribute("aria-busy", "true");
    if (typeof vegaEmbed === "undefined") {
      el.textContent = "This chart needs the site's Vega scripts (_static/vega).";
      console.error("citycases explorer: vegaEmbed is not loaded");
      return;
    }
    vegaEmbed(el, s, EMBED).then(function (result) {
      if (token !== current.token) { result.finalize(); return; }
      if (current.result) current.result.finalize();
      current.result = result;
      current.draws += 1;
      el.setAttribute("data-rendered", "true");
      el.setAttribute("data-draws", String(current.draws));
      el.removeAttribute("aria-busy");
      var menu = el.querySelector("details > summary");
      if (menu) menu.setAttribute("aria-label", "Export the chart");
    }).catch(function (err) {
      el.textContent = "Chart failed to draw: " + err;
      console.error("citycases explorer: the chart failed:", err);
    });
  }

  // ------------------------------------------------------------------ downloads
  function csvField(v) {
    if (v === null || v === undefined) return "";
    var s = typeof v === "boolean" ? (v ? "true" : "false") : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function csv() {
    var lines = [CSV_FIELDS.join(",")];
    current.view.rows.forEach(function (r) {
      var rec = {city: r.city.name, city_slug: r.city.slug, series: r.series.id, series_label: r.series.label,
                 main_series: r.series.main, comparable_series: r.series.comparable, year: r.year,
                 homicides: r.homicides, population: r.population, homicide_rate: r.rate,
                 rate_ci_low: r.rate_ci_low, rate_ci_high: r.rate_ci_high, unit: r.unit, source_id: r.source_id,
                 source: sourceLabel(r.source_id), population_source_id: r.population_source_id,
                 status: r.status};
      lines.push(CSV_FIELDS.map(function (k) { return csvField(rec[k]); }).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function fileStem() {
    return "citycases-explorer-" + state.measure + "-" + state.from + "-" + state.to;
  }

  function save(url, name, revoke) {
    var a = make("a", {href: url, download: name});
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    if (revoke) setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function downloadCsv() {
    var blob = new Blob([csv()], {type: "text/csv;charset=utf-8"});
    save(URL.createObjectURL(blob), fileStem() + ".csv", true);
  }

  function saveImage(kind) {
    if (!current.result) return;
    current.result.view.toImageURL(kind, kind === "png" ? 2 : 1).then(function (url) {
      save(url, fileStem() + "." + kind, url.indexOf("blob:") === 0);
    }).catch(function (err) { console.error("citycases explorer: could not export the chart:", err); });
  }

  // ------------------------------------------------------------------ start
  function start() {
    if (!DATA || !byId("citycases-explorer")) {
      if (byId("explorer-status")) {
        byId("explorer-status").textContent = "The explorer's data (_static/data/explorer-data.js) is missing.";
      }
      console.error("citycases explorer: window.CITYCASES_EXPLORER is not loaded");
      return;
    }
    load();
    buildCityList();
    bindControls();
    byId("explorer-form").hidden = false;
    byId("explorer-actions").hidden = false;
    draw();
  }

  window.citycasesExplorer = {
    csv: csv,
    rows: function () { return current.view.rows.length; },
    state: function () { return JSON.parse(JSON.stringify(state)); }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
