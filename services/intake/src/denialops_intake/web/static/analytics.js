// Analytics: the KPIs (named as HFMA names them) and charts of the slices, over a date range.
import { api } from "./api.js";
import { append, clear, h } from "./dom.js";
import { longDate, money, routeLabel } from "./words.js";

const SVG = "http://www.w3.org/2000/svg";
const KPIS = [
  ["denials_received", "Denials received", (v) => String(v)],
  ["denials_worked_pct", "Worked", pct],
  ["denials_appealed_pct", "Appealed", pct],
  ["overturn_rate_pct", "Overturn rate", pct],
  ["avg_days_denial_to_appeal", "Average days, denial to appeal", days],
  ["avg_days_denial_to_resolution", "Average days, denial to resolution", days],
  ["dollars_at_stake", "Dollars at stake", money],
  ["dollars_recovered", "Dollars recovered", money],
  ["deadlines_missed", "Deadlines missed", (v) => String(v)],
];

function pct(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)}%`;
}

function days(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 10) / 10} days`;
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

/** A horizontal bar chart; the same figures follow as a table for screen readers and copying. */
function barChart(title, rows, format) {
  const max = Math.max(1, ...rows.map((row) => row.value));
  const rowHeight = 28;
  const labelWidth = 260;
  const width = 760;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowHeight + 8}`, role: "img", "aria-label": title });
  rows.forEach((row, index) => {
    const y = index * rowHeight + 4;
    const barWidth = ((width - labelWidth - 110) * row.value) / max;
    const name = svg("text", { x: 0, y: y + 17, "font-size": 14, fill: "#1b1f24" });
    name.textContent = row.label.length > 34 ? `${row.label.slice(0, 33)}…` : row.label;
    const bar = svg("rect", { x: labelWidth, y, width: Math.max(2, barWidth), height: rowHeight - 8, rx: 3, fill: "#0b5cad" });
    const value = svg("text", { x: labelWidth + barWidth + 8, y: y + 17, "font-size": 14, fill: "#1b1f24" });
    value.textContent = format(row.value);
    chart.append(name, bar, value);
  });
  const table = h("table", { class: "chart-table" },
    h("caption", { class: "visually-hidden" }, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Group"), h("th", { scope: "col" }, "Value"))),
    h("tbody", {}, rows.map((row) => h("tr", {}, h("td", {}, row.label), h("td", {}, format(row.value))))));
  return h("figure", { class: "card chart" }, h("figcaption", {}, h("h2", {}, title)), chart,
    h("details", {}, h("summary", {}, "Show the figures"), table));
}

function totals(slices, key, value) {
  const sums = new Map();
  for (const slice of slices) sums.set(key(slice), (sums.get(key(slice)) ?? 0) + slice[value]);
  return [...sums].map(([label, total]) => ({ label, value: total })).sort((a, b) => b.value - a.value).slice(0, 10);
}

export async function renderAnalytics(root) {
  const from = h("input", { id: "from", name: "from", type: "date" });
  const to = h("input", { id: "to", name: "to", type: "date" });
  const form = h("form", { class: "filters card", "aria-label": "Date range" },
    h("div", {}, h("label", { for: "from" }, "From"), from),
    h("div", {}, h("label", { for: "to" }, "To"), to),
    h("div", {}, h("button", { type: "submit" }, "Show")));
  const body = h("div", {});
  const range = h("p", {});
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  root.append(h("h1", {}, "Analytics"), range, form, problem, body);
  const load = async () => {
    const params = new URLSearchParams();
    if (from.value) params.set("from", from.value);
    if (to.value) params.set("to", to.value);
    const data = await api("GET", `/analytics?${params}`);
    // The range the server used (its default: the last 90 days), unless the person has typed one since.
    from.value ||= data.from;
    to.value ||= data.to;
    range.textContent = `Denials dated ${longDate(data.from)} to ${longDate(data.to)}.`;
    append(clear(body), [
      h("div", { class: "kpis" }, KPIS.map(([key, name, format]) =>
        h("div", { class: "kpi", "data-kpi": key }, h("div", { class: "hint" }, name), h("div", { class: "value" }, format(data.kpis[key]))))),
      data.slices.length ? [
        barChart("Denials by insurer", totals(data.slices, (s) => s.payer ?? "Unknown insurer", "denials"), String),
        barChart("Denials by what to do", totals(data.slices, (s) => routeLabel(s.route), "denials"), String),
        barChart("Dollars at stake by denial code", totals(data.slices, (s) => s.denial_code ?? "No code", "dollars_at_stake"), money),
        barChart("Dollars recovered by insurer", totals(data.slices, (s) => s.payer ?? "Unknown insurer", "dollars_recovered"), money),
      ] : h("p", { class: "card" }, "No denials in this range."),
    ]);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      await load();
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  });
  await load();
}
