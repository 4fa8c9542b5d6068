// The worklist: the tenant's open cases, highest priority first, with filters and sorting. No patient
// names (the list is seen over shoulders). It refreshes itself while it is on screen.
import { api } from "./api.js";
import { clear, h } from "./dom.js";
import { daysLeftWords, label, longDate, money, ROUTES, routeLabel, STATUSES, urgencyClass } from "./words.js";

const REFRESH_MS = 10_000;
const COLUMNS = [
  ["priority", "Priority"],
  ["days_left", "Deadline"],
  ["amount_at_stake", "Amount"],
  ["route", "What to do"],
  ["payer", "Insurer"],
  ["owner", "Owner"],
  ["status", "Status"],
];

function select(id, text, options) {
  return h("div", {},
    h("label", { for: id }, text),
    h("select", { id, name: id }, h("option", { value: "" }, "Any"), Object.entries(options).map(([value, name]) => h("option", { value }, name))));
}

export async function renderWorklist(root) {
  const filters = h("form", { class: "filters card", "aria-label": "Filter the worklist" },
    select("status", "Status", STATUSES),
    select("route", "What to do", ROUTES),
    h("div", {}, h("label", { for: "owner" }, "Owner"), h("input", { id: "owner", name: "owner", autocomplete: "off" })),
    h("div", {}, h("label", { for: "payer" }, "Insurer"), h("input", { id: "payer", name: "payer", autocomplete: "off" })),
    h("div", {}, h("label", { for: "due_before" }, "Due before"), h("input", { id: "due_before", name: "due_before", type: "date" })),
    h("div", {}, h("button", { type: "submit" }, "Apply filters")));
  const table = h("div", { class: "table-holder" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show more");
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  root.append(h("h1", {}, "Worklist"), h("p", {}, "Open cases, most urgent and most valuable first."), filters, problem, table, more);

  let items = [];
  let cursor = null;
  let sort = { key: "priority", descending: true };

  const query = (from) => {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(filters)) if (value) params.set(name, String(value));
    if (from) params.set("cursor", from);
    return `/worklist?${params}`;
  };
  const load = async (append = false) => {
    const page = await api("GET", query(append ? cursor : null));
    items = append ? [...items, ...page.items] : page.items;
    cursor = page.next_cursor ?? null;
    more.hidden = !cursor;
    draw();
  };
  const draw = () => {
    const sorted = [...items];
    if (sort.key !== "priority" || !sort.descending) {
      sorted.sort((a, b) => compare(a[sort.key], b[sort.key]) * (sort.descending ? -1 : 1));
    }
    clear(table).append(sorted.length ? worklistTable(sorted, sort, (key) => {
      sort = { key, descending: sort.key === key ? !sort.descending : key === "priority" || key === "amount_at_stake" };
      draw();
      table.querySelector(`th[data-key="${key}"] button`)?.focus();
    }) : h("p", { class: "card" }, "No open cases match. Add one from “New case”."));
  };
  const attempt = async (append) => {
    problem.hidden = true;
    try {
      await load(append);
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
  };
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(false);
  });
  more.addEventListener("click", () => attempt(true));
  await load();
  // Live: cases change as their runs finish. Refresh only the first page and only while visible.
  const timer = setInterval(() => {
    if (document.visibilityState === "visible" && !cursor) attempt(false);
  }, REFRESH_MS);
  return () => clearInterval(timer);
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return a < b ? -1 : 1;
}

function worklistTable(items, sort, onSort) {
  const head = h("tr", {}, COLUMNS.map(([key, name]) => {
    const sorted = sort.key === key ? (sort.descending ? "descending" : "ascending") : "none";
    return h("th", { scope: "col", "aria-sort": sorted, "data-key": key },
      h("button", { type: "button", onclick: () => onSort(key) }, name, sorted === "none" ? "" : sorted === "descending" ? " ↓" : " ↑"));
  }), h("th", { scope: "col" }, "Case"));
  const rows = items.map((item) => {
    const urgency = urgencyClass(item.days_left);
    return h("tr", { class: urgency, "data-case": item.case_id },
      h("td", { "data-label": "Priority" }, h("span", { title: item.priority_reason ?? "" }, Number(item.priority ?? 0).toFixed(1)), h("span", { class: "hint" }, item.priority_reason ? ` ${item.priority_reason}` : "")),
      h("td", { "data-label": "Deadline" }, urgency ? h("span", { class: `badge ${urgency}` }, daysLeftWords(item.days_left)) : daysLeftWords(item.days_left), item.next_deadline ? h("div", { class: "hint" }, longDate(item.next_deadline)) : null),
      h("td", { "data-label": "Amount" }, money(item.amount_at_stake)),
      h("td", { "data-label": "What to do" }, routeLabel(item.route)),
      h("td", { "data-label": "Insurer" }, item.payer ?? "—"),
      h("td", { "data-label": "Owner" }, item.owner ?? "Nobody yet"),
      h("td", { "data-label": "Status" }, label(STATUSES, item.status)),
      h("td", { "data-label": "Case" }, h("a", { href: `#/cases/${item.case_id}` }, "Open")));
  });
  return h("table", { class: "worklist" }, h("caption", { class: "visually-hidden" }, "Open cases"), h("thead", {}, head), h("tbody", {}, rows));
}
