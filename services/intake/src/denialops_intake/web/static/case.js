// The case page: what the letter says (each fact linked to where the letter says it), what to do
// (route, deadlines, plan), the documents to send, and the case's work.
import { api } from "./api.js";
import { renderCaseWork } from "./casework.js";
import { announce, append, h, highlighted, renderMarkdown } from "./dom.js";
import { FACT_LABELS, label, longDate, money, routeLabel, TASK_STATUSES } from "./words.js";

const REGIMES = {
  erisa: "Employer plan (ERISA)",
  aca_individual: "Individual (ACA) plan",
  state_fully_insured: "State-regulated insured plan",
  medicare_ffs: "Original Medicare",
  medicare_advantage: "Medicare Advantage",
  medicare_part_d: "Medicare Part D",
  medicaid_managed_care: "Medicaid managed care",
  medicaid_ffs: "Medicaid",
  unknown: "Unknown programme",
};
const BASIS = {
  printed: "printed in the letter",
  computed: "counted from the letter's dates",
  assumed: "an estimate: check it",
  from_denial_date: "counted from the denial date",
  from_receipt: "an estimate counted from when the letter arrived",
  unknown: "not known",
};
const LEVELS = {
  appeal: "appeal",
  reconsideration: "reconsideration",
  redetermination: "redetermination",
  external_review: "external review",
  fair_hearing: "state fair hearing",
  corrected_claim: "corrected claim",
  reopening: "reopening",
  coverage_determination: "coverage decision",
};
const MONEY_FACTS = new Set(["billed_amount", "allowed_amount", "paid_amount", "patient_responsibility"]);
const DATE_FACTS = new Set(["date_of_service", "date_of_denial", "appeal_deadline"]);

async function artifact(caseId, name) {
  return api("GET", `/cases/${caseId}/artifacts/${name}`);
}

export async function renderCase(root, caseId) {
  const theCase = await api("GET", `/cases/${caseId}`);
  const listing = await api("GET", `/cases/${caseId}/artifacts`);
  const names = new Set(listing.items.map((item) => item.name));
  const load = (name) => (names.has(name) ? artifact(caseId, name) : Promise.resolve(null));
  const letterDoc = theCase.documents.find((doc) => doc.doc_type === "denial_letter");
  const [facts, route, plan, deadlines, letter] = await Promise.all([
    load("case_facts.json"),
    load("route.json"),
    load("action_plan.json"),
    load("deadlines.json"),
    letterDoc ? api("GET", `/cases/${caseId}/documents/${letterDoc.document_id}/text`) : null,
  ]);
  const task = theCase.tasks[0];

  root.append(h("h1", {}, "Case"));
  root.append(summary(facts, route, deadlines, task));
  const grid = h("div", { class: "case-grid" });
  root.append(grid);
  if (facts && letter) grid.append(factsAndLetter(facts, letter));
  if (route) grid.append(routeSection(route));
  // "Today" is the server's (the plan's as_of), so the timeline agrees with the plan's days left.
  if (facts || deadlines) grid.append(deadlineSection(facts, deadlines, plan?.timeline?.as_of));
  if (plan) grid.append(planSection(plan));
  const documents = listing.items.filter((item) => item.name.endsWith(".md") && item.name !== "action_plan.md");
  if (documents.length) grid.append(await documentsSection(caseId, documents));
  const reload = () => {
    root.replaceChildren();
    return renderCase(root, caseId);
  };
  await renderCaseWork(root, theCase, reload, documents.map((item) => item.name), plan?.timeline?.as_of);
}

function summary(facts, route, deadlines, task) {
  const box = h("section", { class: "card summary", "aria-labelledby": "summary-title" }, h("h2", { id: "summary-title" }, "In short"));
  if (!task || task.status !== "succeeded") {
    box.append(h("p", {}, task ? `The letter is not read yet: ${label(TASK_STATUSES, task.status).toLowerCase()}.` : "No letter has been read for this case yet."));
    return box;
  }
  if (route) box.append(h("p", { class: "route-line" }, h("strong", {}, "What to do: "), routeLabel(route.route)));
  const next = deadlines?.next_action;
  const due = next?.due ?? facts?.appeal_deadline;
  if (deadlines && !deadlines.appealable) {
    box.append(h("p", { class: "deadline-line" }, "This denial cannot be appealed; see the plan for what can be done instead."));
  } else if (due) {
    box.append(h("p", { class: "deadline-line" }, `You have until ${longDate(due)} to ${next ? next.action.toLowerCase() : "appeal"}.`));
  } else {
    box.append(h("p", { class: "deadline-line" }, "The letter gives no appeal deadline: ask the insurer, and act quickly."));
  }
  if (facts?.payer_name) box.append(h("p", {}, `Insurance company: ${facts.payer_name}`));
  return box;
}

function factValue(name, value) {
  if (MONEY_FACTS.has(name)) return money(value);
  if (DATE_FACTS.has(name)) return longDate(value);
  if (name === "denial_codes") {
    return value.map((code) => {
      const meaning = code.description ?? code.reason;
      return meaning && meaning !== code.code ? `${code.code}: ${meaning}` : code.code;
    }).join("; ");
  }
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

function factsAndLetter(facts, letter) {
  const pages = letter.pages.map((page) => ({ ...page, node: h("pre", { class: "letter-page", "data-page": page.number }, page.text) }));
  const paint = (spans) => {
    for (const page of pages) page.node.replaceChildren(highlighted(page.text, spans.filter((s) => s.page === page.number)));
    pages.find((page) => page.node.querySelector("mark"))?.node.querySelector("mark").scrollIntoView({ block: "center", behavior: "smooth" });
  };
  const list = h("dl", { class: "facts" });
  const buttons = [];
  for (const [name, title] of Object.entries(FACT_LABELS)) {
    const value = facts[name];
    if (value === null || value === undefined || (Array.isArray(value) && !value.length)) continue;
    const spans = facts.evidence?.[name] ?? [];
    const text = factValue(name, value);
    let shown = text;
    if (spans.length) {
      const button = h("button", { type: "button", class: "fact", "aria-pressed": "false", "data-fact": name }, text);
      button.addEventListener("click", () => {
        const on = button.getAttribute("aria-pressed") !== "true";
        for (const other of buttons) other.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", String(on));
        paint(on ? spans : []);
        announce(on ? `${title} is highlighted in the letter.` : "Highlight removed.");
      });
      buttons.push(button);
      shown = button;
    }
    list.append(h("div", {}, h("dt", {}, title), h("dd", {}, shown)));
  }
  return h(
    "section",
    { class: "card wide", "aria-labelledby": "letter-title" },
    h("h2", { id: "letter-title" }, "What the letter says"),
    h("p", { class: "hint" }, "Select a fact to see where the letter says it."),
    h("div", { class: "facts-letter" }, list, h("div", { class: "letter", role: "region", "aria-label": "Letter text", tabindex: "0" }, pages.map((p) => p.node))),
  );
}

function routeSection(route) {
  const alternatives = route.alternatives ?? [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "route-title" },
    h("h2", { id: "route-title" }, "What to do"),
    h("p", { class: "route-name" }, routeLabel(route.route)),
    h("p", {}, `How sure we are: ${Math.round(route.confidence * 100)}%`),
    h("h3", {}, "Why"),
    h("p", { class: "reasoning" }, route.reasoning),
    alternatives.length
      ? [h("h3", {}, "Other possibilities"), h("ul", {}, alternatives.map((alt) => h("li", {}, `${routeLabel(alt.route)} (${Math.round(alt.confidence * 100)}%)`)))]
      : null,
  );
}

function clocks(facts, deadlines) {
  if (deadlines) {
    return deadlines.levels.flatMap((level) => {
      const name = `${label(LEVELS, level.level)}${level.track === "expedited" ? " (fast track)" : ""}`;
      const out = [{ kind: "filing", name: `File the ${name}`, clock: level.filing }];
      if (level.decision) out.push({ kind: "decision", name: `Insurer decides the ${name}`, clock: level.decision });
      return out;
    });
  }
  if (!facts?.appeal_deadline) return [];
  const clock = { due: facts.appeal_deadline, basis: facts.appeal_deadline_basis, window: facts.appeal_window_days ? `${facts.appeal_window_days} days` : null, source: "the letter" };
  return [{ kind: "filing", name: "File the appeal", clock }];
}

function deadlineSection(facts, deadlines, asOf) {
  const entries = clocks(facts, deadlines);
  const dated = entries.filter((entry) => entry.clock.due).map((entry) => Date.parse(entry.clock.due));
  const today = asOf ? Date.parse(asOf) : Date.now();
  const first = Math.min(today, ...dated);
  const last = Math.max(today, ...dated);
  const position = (time) => (last === first ? 0 : ((time - first) / (last - first)) * 100);
  const track = h("div", { class: "timeline-track", "aria-hidden": "true" }, h("span", { class: "tick today", "data-left": position(today) }));
  const items = h("ol", { class: "timeline" });
  for (const entry of entries) {
    const { clock } = entry;
    // A clock not dated yet (the insurer's, until we file) is shown by its window in words.
    const when = clock.due ? ` by ${longDate(clock.due)}` : clock.window ? `: ${clock.window}` : ": date not known yet";
    items.append(h("li", { class: `clock ${entry.kind}` },
      h("span", { class: "clock-name" }, entry.name),
      h("span", { class: "clock-when" }, when),
      h("span", { class: "clock-basis" }, ` (${BASIS[clock.basis] ?? clock.basis}${clock.source ? `; source: ${clock.source}` : ""})`)));
    if (clock.due) track.append(h("span", { class: `tick ${entry.kind}`, "data-left": position(Date.parse(clock.due)) }));
  }
  // Positions go through the CSSOM, which the policy allows (no inline style attributes).
  for (const tick of track.children) tick.style.left = `${tick.dataset.left}%`;
  return h(
    "section",
    { class: "card", "aria-labelledby": "deadlines-title" },
    h("h2", { id: "deadlines-title" }, "Deadlines"),
    deadlines ? h("p", {}, `Rules: ${REGIMES[deadlines.regime] ?? deadlines.regime}. ${deadlines.regime_reason ?? ""}`) : null,
    entries.length ? track : null,
    entries.length ? items : h("p", {}, "No deadline was found in the letter."),
    (deadlines?.warnings ?? []).length ? h("ul", { class: "warnings" }, deadlines.warnings.map((w) => h("li", {}, w))) : null,
  );
}

function planSection(plan) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "plan-title" },
    h("h2", { id: "plan-title" }, "Action plan"),
    h("p", {}, plan.summary),
    h("ol", { class: "steps" }, plan.steps.map((step) => h("li", {},
      h("strong", {}, step.title),
      step.due_date ? ` (by ${longDate(step.due_date)})` : "",
      h("p", {}, step.detail),
      h("p", { class: "hint" }, `Who: ${step.owner}`)))),
    plan.missing_info_questions?.length ? [h("h3", {}, "Questions to answer"), h("ul", {}, plan.missing_info_questions.map((q) => h("li", {}, q)))] : null,
  );
}

const DOCUMENT_TITLES = {
  call_script: "Call script",
  appeal_letter: "Appeal letter",
  clinician_letter: "Letter for the doctor",
  pa_checklist: "Prior authorization checklist",
  resubmit_checklist: "Resubmission checklist",
  exception_request: "Exception request",
  admin_appeal_letter: "Appeal letter",
  eligibility_checklist: "Eligibility checklist",
  external_review_request: "External review request",
};

async function documentsSection(caseId, documents) {
  const texts = await Promise.all(documents.map((item) => artifact(caseId, item.name)));
  const section = h("section", { class: "card wide", "aria-labelledby": "documents-title" }, h("h2", { id: "documents-title" }, "Documents to send"));
  documents.forEach((item, index) => {
    const stem = item.name.replace(/\.md$/, "");
    const title = DOCUMENT_TITLES[stem] ?? stem.replaceAll("_", " ");
    const text = texts[index];
    const copy = h("button", { type: "button", "aria-label": `Copy ${title}` }, "Copy");
    copy.addEventListener("click", async () => {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
      announce(`${title} copied.`);
    });
    const download = h("button", { type: "button", "aria-label": `Download ${title}` }, "Download");
    download.addEventListener("click", () => {
      const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/markdown" })), download: item.name });
      link.click();
      URL.revokeObjectURL(link.href);
    });
    const article = h("article", { class: "document", "data-name": item.name });
    // PDF through the browser's own print dialog ("Save as PDF"): only this document is printed.
    const print = h("button", { type: "button", "aria-label": `Print or save ${title} as PDF` }, "Print / PDF");
    print.addEventListener("click", () => {
      document.body.classList.add("printing-document");
      article.classList.add("print-target");
      window.addEventListener("afterprint", () => {
        document.body.classList.remove("printing-document");
        article.classList.remove("print-target");
      }, { once: true });
      window.print();
    });
    section.append(append(article, [
      h("div", { class: "document-head" }, h("h3", {}, title), h("div", { class: "actions" }, copy, download, print)),
      h("div", { class: "document-body", role: "region", "aria-label": title, tabindex: "0" }, renderMarkdown(text)),
    ]));
  });
  return section;
}
