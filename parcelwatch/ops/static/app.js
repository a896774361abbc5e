"use strict";
// The ops page: fills the tables from /api/overview and the order timeline from
// /api/timeline (the charts are charts.js'). Text goes in with textContent only.

function orderLink(row, orderId) {
  const a = document.createElement("a");
  a.href = "?q=" + encodeURIComponent(orderId);
  a.textContent = orderId;
  row.insertCell().appendChild(a);
}

function fill(id, section, render) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (section.error) {
    cell(body.insertRow(), "unavailable: " + section.error, "error").colSpan = 6;
    return;
  }
  const items = Array.isArray(section.data) ? section.data : section.data.items;
  if (!items.length) cell(body.insertRow(), "none").colSpan = 6;
  for (const item of items) render(body.insertRow(), item);
}

function ratios(row, w) {
  for (const name of ["late_shipment", "valid_tracking", "on_time_delivery", "dispute"]) {
    cell(row, ratio(w[name]));
  }
}

async function overview() {
  const data = await (await fetch("/api/overview")).json();
  fill("breaches", data.breaches, (row, b) => {
    orderLink(row, b.order_id);
    cell(row, b.seller_id || "—");
    cell(row, b.kind);
    cell(row, b.severity, b.severity === "ops" ? "bad" : "");
    cell(row, time(b.raised_at));
    cell(row, time(b.next_due_at));
  });
  fill("disputes", data.disputes, (row, d) => {
    orderLink(row, d.order_id);
    cell(row, d.seller_id || "—");
    cell(row, d.case_id);
    cell(row, time(d.reported_at));
    cell(row, time(d.documents_deadline));
    cell(row, d.documents.join(", ") || "none");
  });
  fill("carriers", data.carriers, (row, c) => {
    cell(row, carrierName(c.carrier));
    cell(row, String(c.calls));
    cell(row, pct(c.error_rate), c.error_rate > 0.1 ? "bad" : "");
    cell(row, c.mean_latency_seconds === null ? "—" : c.mean_latency_seconds.toFixed(2) + " s");
    cell(row, duration(c.poll_lag_seconds));
    cell(row, c.circuit_open ? "open" : "closed", c.circuit_open ? "bad" : "");
  });
  const cards = data.marketplace.error ? data.scorecards : {
    data: { items: [data.marketplace.data, ...(data.scorecards.data || { items: [] }).items] },
  };
  fill("scorecards", cards, (row, card) => {
    for (const w of card.windows) {
      if (w !== card.windows[0]) row = row.parentNode.insertRow();
      cell(row, card.seller_id || "marketplace");
      cell(row, w.days + " days");
      ratios(row, w);
    }
  });
}

async function search(q) {
  const error = document.getElementById("search-error");
  const section = document.getElementById("order");
  error.hidden = true;
  const response = await fetch("/api/timeline?q=" + encodeURIComponent(q));
  if (!response.ok) {
    section.hidden = true;
    error.hidden = false;
    error.textContent = response.status === 404 ? "Nothing found for " + q : "Search failed (" + response.status + ")";
    return;
  }
  const data = await response.json();
  document.getElementById("order-id").textContent = data.order_id;
  document.getElementById("order-state").textContent = data.order ? data.order.state : "";
  document.getElementById("order-deadline").textContent =
    data.order && data.order.ship_by_deadline ? "Ship by " + time(data.order.ship_by_deadline) : "";
  const list = document.getElementById("timeline");
  list.replaceChildren();
  for (const e of data.entries) {
    const li = document.createElement("li");
    li.className = "entry entry-" + e.source;
    const when = document.createElement("time");
    when.textContent = time(e.at);
    const source = document.createElement("span");
    source.className = "source source-" + e.source;
    source.textContent = e.source;
    const what = document.createElement(e.link ? "a" : "span");
    what.className = "title";
    what.textContent = e.title + (e.detail ? " — " + e.detail : "");
    if (e.link) what.href = e.link;
    li.append(when, source, what);
    list.appendChild(li);
  }
  section.hidden = false;
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("q").value.trim();
  history.replaceState(null, "", "?q=" + encodeURIComponent(q));
  search(q);
});

const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  document.getElementById("q").value = initial;
  search(initial);
}
overview();
