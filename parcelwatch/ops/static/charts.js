"use strict";
// The charts of the ops page (Chart.js, vendor/), from /api/analytics. Every series has its
// own fill pattern (bars) or marker and dash (lines) besides its colour, so no chart relies
// on colour alone; hovering shows the numbers, and a table under the charts holds them all.
// Each figure records its state in data-state: drawn, empty or error.

// Okabe-Ito: told apart by most colour-blind readers; the patterns do the rest.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F00", "#000000"];
const PATTERNS = ["solid", "diagonal", "dots", "cross", "horizontal", "back-diagonal", "vertical", "grid"];
const MARKERS = ["circle", "triangle", "rect", "rectRot", "star", "crossRot"];
const DASHES = [[], [6, 3], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2]];

Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "system-ui, sans-serif";
Chart.defaults.color = "#1d2330";
Chart.defaults.plugins.legend.position = "bottom";

// A fill for series `index`: a solid colour, or that colour crossed by white strokes.
function pattern(index) {
  const color = PALETTE[index % PALETTE.length];
  const kind = PATTERNS[index % PATTERNS.length];
  if (kind === "solid") return color;
  const size = 10;
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const c = tile.getContext("2d");
  c.fillStyle = color;
  c.fillRect(0, 0, size, size);
  c.strokeStyle = c.fillStyle = "rgba(255, 255, 255, 0.9)";
  c.lineWidth = 2;
  c.beginPath();
  if (kind === "diagonal" || kind === "cross") {
    c.moveTo(0, size); c.lineTo(size, 0); c.moveTo(-1, 1); c.lineTo(1, -1);
    c.moveTo(size - 1, size + 1); c.lineTo(size + 1, size - 1);
  }
  if (kind === "back-diagonal" || kind === "cross") {
    c.moveTo(0, 0); c.lineTo(size, size); c.moveTo(size - 1, -1); c.lineTo(size + 1, 1);
    c.moveTo(-1, size - 1); c.lineTo(1, size + 1);
  }
  if (kind === "horizontal" || kind === "grid") { c.moveTo(0, size / 2); c.lineTo(size, size / 2); }
  if (kind === "vertical" || kind === "grid") { c.moveTo(size / 2, 0); c.lineTo(size / 2, size); }
  c.stroke();
  if (kind === "dots") {
    c.beginPath();
    c.arc(size / 2, size / 2, 2, 0, 2 * Math.PI);
    c.fill();
  }
  return c.createPattern(tile, "repeat");
}

function bars(label, data, index) {
  const color = PALETTE[index % PALETTE.length];
  return {
    label, data, backgroundColor: pattern(index), borderColor: color, borderWidth: 1.5,
    maxBarThickness: 90,
  };
}

function line(label, data, index) {
  const color = PALETTE[index % PALETTE.length];
  return {
    label, data, borderColor: color, backgroundColor: color, borderWidth: 2,
    pointStyle: MARKERS[index % MARKERS.length], pointRadius: 5, pointHoverRadius: 7,
    borderDash: DASHES[index % DASHES.length], spanGaps: false, clip: false,
  };
}

// Writes each bar's value above it (options.plugins.valueLabels.format(dataset, index)):
// a bar of zero still reads "0", and no value depends on telling colours apart.
const valueLabels = {
  id: "valueLabels",
  afterDatasetsDraw(chart, args, options) {
    if (!options.format) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#1d2330";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    chart.data.datasets.forEach((dataset, i) => {
      chart.getDatasetMeta(i).data.forEach((bar, j) => {
        const text = options.format(i, j);
        const top = Number.isFinite(bar.y) ? bar.y : chart.scales.y.getPixelForValue(0);
        if (text) ctx.fillText(text, bar.x, top - 3);
      });
    });
    ctx.restore();
  },
};

const charts = {};

// Show the figure's chart area (state "drawn") or its message instead.
function figure(id, state, message) {
  const fig = document.getElementById(id);
  if (charts[id]) {
    charts[id].destroy();
    delete charts[id];
  }
  const empty = fig.querySelector(".empty");
  fig.querySelector(".plot").hidden = state !== "drawn";
  empty.hidden = state === "drawn";
  empty.textContent = message || "";
  empty.classList.toggle("error", state === "error");
  fig.dataset.state = state;
  return fig;
}

// Draw a chart; `summary` is what a screen reader hears (the table has the numbers).
function draw(id, config, summary) {
  const canvas = figure(id, "drawn").querySelector("canvas");
  canvas.setAttribute("aria-label", summary);
  config.options = { responsive: true, ...config.options };
  charts[id] = new Chart(canvas, config);
}

// Where each drawn chart is on the page (CSS pixels), for the screenshot tests.
function markBoxes() {
  for (const fig of document.querySelectorAll("figure.chart[data-state=drawn]")) {
    const box = fig.querySelector("canvas").getBoundingClientRect();
    fig.dataset.box = [box.left + scrollX, box.top + scrollY, box.width, box.height].map(Math.round).join(",");
  }
}

function rows(id, items, render, none) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (!items.length) cell(body.insertRow(), none).colSpan = 12;
  for (const item of items) render(body.insertRow(), item);
}

function header(id, names) {
  const head = document.querySelector("#" + id + " thead");
  const row = document.createElement("tr");
  for (const name of names) {
    const th = document.createElement("th");
    th.textContent = name;
    row.appendChild(th);
  }
  head.replaceChildren(row);
}

function unavailable(section, figures, tables) {
  for (const id of figures) figure(id, "error", "Unavailable: " + section.error);
  for (const id of tables) rows(id, [], () => {}, "unavailable: " + section.error);
}

const percentAxis = {
  beginAtZero: true, max: 100,
  ticks: { callback: (value) => value + " %" },
};
const countAxis = (title) => ({ beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: title } });

// --- carrier performance ------------------------------------------------------------

function performance(section, days) {
  const figures = ["transit-chart", "on-time-chart"];
  const note = document.getElementById("performance-note");
  if (section.error) {
    note.textContent = "";
    unavailable(section, figures, ["carrier-performance", "lane-performance"]);
    return;
  }
  const p = section.data;
  note.textContent = "Parcels delivered or returned to the sender from " + p.since + " to " + p.until +
    " (UTC days); times from the carriers' scans.";
  const carriers = p.carriers;
  const names = carriers.map((c) => carrierName(c.carrier));
  if (!carriers.length) {
    for (const id of figures) {
      figure(id, "empty", "No parcel delivered or returned in the last " + days +
        " days yet: the charts fill in as parcels reach their customers.");
    }
  } else {
    const longest = Math.max(...carriers.map((c) => c.transit.p90_seconds || 0));
    const [unit, unitName] = longest >= 2 * DAY ? [DAY, "days"] : [HOUR, "hours"];
    const inUnit = (s) => (s === null ? null : +(s / unit).toFixed(2));
    draw("transit-chart", {
      type: "bar",
      data: {
        labels: names,
        datasets: [
          bars("median (p50)", carriers.map((c) => inUnit(c.transit.p50_seconds)), 0),
          bars("p90", carriers.map((c) => inUnit(c.transit.p90_seconds)), 1),
        ],
      },
      plugins: [valueLabels],
      options: {
        scales: { y: { beginAtZero: true, grace: "10%", title: { display: true, text: unitName } } },
        layout: { padding: { top: 16 } },
        plugins: {
          valueLabels: {
            format: (i, j) => {
              const value = inUnit(i ? carriers[j].transit.p90_seconds : carriers[j].transit.p50_seconds);
              if (value === null) return i ? "" : "none delivered";
              return value.toFixed(1);
            },
          },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const c = carriers[ctx.dataIndex];
                const seconds = ctx.datasetIndex ? c.transit.p90_seconds : c.transit.p50_seconds;
                return ctx.dataset.label + ": " + duration(seconds) + " (" + c.transit.samples + " deliveries)";
              },
            },
          },
        },
      },
    }, "Transit time by carrier, median and 90th percentile, in " + unitName);
    const judged = carriers.filter((c) => c.on_time.denominator > 0);
    if (!judged.length) {
      figure("on-time-chart", "empty", "No parcel delivered in the last " + days +
        " days had a carrier estimate to be judged against.");
    } else {
      draw("on-time-chart", {
        type: "bar",
        data: {
          labels: judged.map((c) => carrierName(c.carrier)),
          datasets: [bars("on time", judged.map((c) => +(100 * c.on_time.rate).toFixed(1)), 2)],
        },
        plugins: [valueLabels],
        options: {
          scales: { y: percentAxis },
          layout: { padding: { top: 18 } },
          plugins: {
            valueLabels: { format: (i, j) => ratio(judged[j].on_time) },
            legend: { display: false },
            tooltip: { callbacks: { label: (ctx) => "on time: " + ratio(judged[ctx.dataIndex].on_time) } },
          },
        },
      }, "Share of deliveries on time against the first estimate, by carrier");
    }
  }
  rows("carrier-performance", carriers, (row, c) => {
    cell(row, carrierName(c.carrier));
    performanceCells(row, c, true);
  }, "no parcel delivered or returned in the window");
  rows("lane-performance", p.lanes, (row, l) => {
    cell(row, carrierName(l.carrier));
    cell(row, (l.seller_country || "?") + " → " + (l.customer_country || "?"));
    performanceCells(row, l, false);
  }, "none");
}

function performanceCells(row, s, both) {
  cell(row, String(s.shipments));
  cell(row, duration(s.transit.p50_seconds));
  cell(row, duration(s.transit.p90_seconds));
  cell(row, duration(s.label_to_first_scan.p50_seconds));
  if (both) cell(row, duration(s.label_to_first_scan.p90_seconds));
  cell(row, ratio(s.on_time));
  cell(row, ratio(s.exception));
  cell(row, ratio(s.delivery_attempt));
  cell(row, ratio(s.return_to_sender));
}

// --- breaches per day ---------------------------------------------------------------

const KIND_ORDER = Object.keys(KINDS);
const kindIndex = (kind) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

function breaches(section, days) {
  if (section.error) {
    unavailable(section, ["opened-chart", "resolved-chart"], ["breach-trend"]);
    return;
  }
  const t = section.data;
  const labels = t.days.map(shortDate);
  for (const [id, key] of [["opened-chart", "opened"], ["resolved-chart", "resolved"]]) {
    const active = t.kinds.filter((k) => k[key].some((n) => n > 0));
    if (!active.length) {
      figure(id, "empty", "No breach " + key + " in the last " + days + " days.");
      continue;
    }
    draw(id, {
      type: "bar",
      data: { labels, datasets: active.map((k) => bars(kindName(k.kind), k[key], kindIndex(k.kind))) },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, ...countAxis("breaches") } },
        plugins: { tooltip: { mode: "index", filter: (item) => item.raw > 0 } },
      },
    }, "Breaches " + key + " per day, by kind");
  }
  const kinds = t.kinds;
  header("breach-trend", ["Day", "Opened", "Resolved", ...kinds.map((k) => kindName(k.kind) + " (opened / resolved)")]);
  const busy = t.days.map((day, i) => i).filter((i) => kinds.some((k) => k.opened[i] || k.resolved[i])).reverse();
  rows("breach-trend", busy, (row, i) => {
    cell(row, t.days[i]);
    cell(row, String(kinds.reduce((sum, k) => sum + k.opened[i], 0)));
    cell(row, String(kinds.reduce((sum, k) => sum + k.resolved[i], 0)));
    for (const k of kinds) cell(row, k.opened[i] + " / " + k.resolved[i]);
  }, "no breach opened or resolved in the last " + days + " days");
}

// --- late shipments and disputes per week --------------------------------------------

const weekLabel = (monday) => "week of " + shortDate(monday);
const asPercent = (r) => (r.rate === null ? null : +(100 * r.rate).toFixed(1));

function lateShipments(section, weeks) {
  if (section.error) {
    unavailable(section, ["late-chart"], ["late-trend"]);
    return;
  }
  const t = section.data;
  const series = [{ seller_id: "marketplace", weeks: t.marketplace }, ...t.items];
  header("late-trend", ["Late shipments", ...t.weeks.map(weekLabel)]);
  if (!t.marketplace.some((r) => r.denominator > 0)) {
    figure("late-chart", "empty", "No ship-by deadline passed in the last " + weeks + " weeks.");
    rows("late-trend", [], () => {}, "no ship-by deadline in the window");
    return;
  }
  const datasets = series.map((s, i) => line(s.seller_id, s.weeks.map(asPercent), i));
  Object.assign(datasets[0], { borderColor: "#000", backgroundColor: "#000", borderWidth: 3 });
  draw("late-chart", {
    type: "line",
    data: { labels: t.weeks.map(weekLabel), datasets },
    options: {
      scales: { y: percentAxis },
      layout: { padding: { top: 8 } },
      plugins: {
        legend: { labels: { usePointStyle: true } },
        tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + ratio(series[ctx.datasetIndex].weeks[ctx.dataIndex]) } },
      },
    },
  }, "Late-shipment rate per week, the marketplace and the sellers with the most late shipments");
  rows("late-trend", series, (row, s) => {
    cell(row, s.seller_id);
    for (const r of s.weeks) cell(row, r.denominator ? ratio(r) : "—");
  }, "none");
}

function disputes(section, weeks) {
  if (section.error) {
    unavailable(section, ["disputes-chart"], ["dispute-trend"]);
    return;
  }
  const t = section.data;
  if (![...t.reported, ...t.resolved].some((n) => n > 0)) {
    figure("disputes-chart", "empty", "No dispute reported or resolved in the last " + weeks + " weeks.");
  } else {
    draw("disputes-chart", {
      type: "bar",
      data: {
        labels: t.weeks.map(weekLabel),
        datasets: [bars("reported", t.reported, 5), bars("resolved", t.resolved, 4)],
      },
      options: { scales: { y: countAxis("disputes") } },
    }, "Disputes reported and resolved per week");
  }
  rows("dispute-trend", t.weeks.map((week, i) => i), (row, i) => {
    cell(row, t.weeks[i]);
    cell(row, String(t.reported[i]));
    cell(row, String(t.resolved[i]));
  }, "none");
}

async function analytics() {
  const days = Number(document.getElementById("window").value);
  const weeks = Math.max(2, Math.ceil(days / 7));
  let data;
  try {
    const response = await fetch("/api/analytics?days=" + days + "&weeks=" + weeks);
    if (!response.ok) throw new Error("HTTP " + response.status);
    data = await response.json();
  } catch (error) {
    const down = { error: "ops page server: " + error.message };
    data = { performance: down, breaches: down, late_shipments: down, disputes: down };
  }
  performance(data.performance, days);
  breaches(data.breaches, days);
  lateShipments(data.late_shipments, weeks);
  disputes(data.disputes, weeks);
  markBoxes();
  document.body.dataset.analytics = "loaded";
}

document.getElementById("window").addEventListener("change", analytics);
analytics();
setInterval(analytics, 60000);
