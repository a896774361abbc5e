"use strict";
// What app.js and charts.js share: how the page writes times, durations, rates and names,
// and table cells (text goes in with textContent only: no HTML from the data).

const time = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + "Z" : "—");
const pct = (rate) => (rate === null || rate === undefined ? "—" : (100 * rate).toFixed(1) + " %");
const ratio = (r) => pct(r.rate) + " (" + r.numerator + "/" + r.denominator + ")";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

// A duration in seconds as people read it: "45 s", "12 min", "5.5 h", "2.9 days".
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return Math.round(seconds) + " s";
  if (seconds < 90 * MINUTE) return Math.round(seconds / MINUTE) + " min";
  if (seconds < 36 * HOUR) return (seconds / HOUR).toFixed(1) + " h";
  return (seconds / DAY).toFixed(1) + " days";
}

const CARRIERS = { ups: "UPS", fedex: "FedEx", usps: "USPS", dhl: "DHL" };
const carrierName = (slug) => CARRIERS[slug] || slug;

const KINDS = {
  ship_by_missed: "Ship-by missed",
  delivery_late: "Delivery late",
  tracking_stalled: "Tracking stalled",
  carrier_exception: "Carrier exception",
  delivered_disputed: "Delivered, disputed",
  dispute_documents_due: "Dispute documents due",
  dispute_documents_overdue: "Dispute documents overdue",
  order_unconfirmed: "Order unconfirmed",
};
const kindName = (kind) => KINDS[kind] || kind.replaceAll("_", " ");

// "2026-11-23" -> "Nov 23" (dates are UTC days).
const shortDate = (day) =>
  new Date(day + "T00:00:00Z").toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
