// Case work: what a case worker does to a case after the letter is read: assign it, note it, record
// what was sent and what the insurer decided, upload the insurer's answer, stop a running task. The
// history below says who did what, when.
import { api, uploadLetter } from "./api.js";
import { announce, h } from "./dom.js";
import { capitalized, daysLeftWords, label, LEVELS, longDate, money, STATUSES, TASK_STATUSES } from "./words.js";

const RUNNING = new Set(["queued", "running"]);
// The form's choices and the history's words: levels start with a capital here.
const LEVEL_CHOICES = Object.fromEntries(Object.entries(LEVELS).map(([key, words]) => [key, capitalized(words)]));
const CHANNELS = { portal: "Insurer's portal", fax: "Fax", mail: "Mail", phone: "Phone", email: "Email", clearinghouse: "Clearinghouse" };
const OUTCOMES = { overturned: "Overturned: paid in full", partially_overturned: "Partly overturned", upheld: "Upheld: still denied" };
const STATUS_CHANGES = { in_progress: "Start working on it", closed: "Close it", written_off: "Write it off" };
const ACTIONS = {
  owner_changed: "Owner changed",
  status_changed: "Status changed",
  note_added: "Note",
  submission_recorded: "Sent to the insurer",
  decision_recorded: "Insurer's decision",
};
const TIME = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });

let formNumber = 0;

function field(labelText, control) {
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control);
}

function control(tag, attrs, ...children) {
  formNumber += 1;
  return h(tag, { id: `work-${formNumber}`, ...attrs }, ...children);
}

function options(map, selected) {
  return Object.entries(map).map(([value, text]) => h("option", { value, selected: value === selected }, text));
}

/** A form whose submit sends one request; a refusal (409, 422) is shown next to it and changes nothing. */
function workForm(title, fields, button, send, reload) {
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "stack work-form" }, h("h3", {}, title), fields, h("button", { type: "submit" }, button), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.hidden = true;
    try {
      await send();
      announce(`${title}: saved.`);
      await reload();
    } catch (error) {
      message.textContent = error.message;
      message.hidden = false;
    }
  });
  return form;
}

export async function renderCaseWork(root, theCase, reload, documentNames, today) {
  const work = theCase.work;
  const caseId = theCase.case_id;
  const history = await api("GET", `/cases/${caseId}/history`);
  const section = h("section", { class: "card wide", "aria-labelledby": "work-title" }, h("h2", { id: "work-title" }, "Case work"));

  section.append(h("dl", { class: "work-state" },
    h("div", {}, h("dt", {}, "Status"), h("dd", { class: "work-status" }, label(STATUSES, work.status), work.outcome ? ` (${label(OUTCOMES, work.outcome)})` : "")),
    h("div", {}, h("dt", {}, "Owner"), h("dd", { class: "work-owner" }, work.owner ?? "Nobody yet")),
    h("div", {}, h("dt", {}, "Level"), h("dd", { class: "work-level" }, work.level ? label(LEVEL_CHOICES, work.level) : "—")),
    h("div", {}, h("dt", {}, "Next deadline"), h("dd", {}, work.next_deadline ? `${longDate(work.next_deadline)} (${daysLeftWords(work.days_left)})` : "None known")),
    h("div", {}, h("dt", {}, "At stake"), h("dd", {}, money(work.amount_at_stake))),
    h("div", {}, h("dt", {}, "Recovered"), h("dd", { class: "work-recovered" }, money(work.amount_recovered)))));

  for (const task of theCase.tasks.filter((t) => RUNNING.has(t.status))) {
    const cancel = h("button", { type: "button", class: "danger" }, "Stop reading this letter");
    cancel.addEventListener("click", async () => {
      await api("POST", `/tasks/${task.task_id}/cancel`);
      announce("Stopped.");
      await reload();
    });
    section.append(h("p", {}, `${label(TASK_STATUSES, task.status)}. `, cancel));
  }

  const forms = h("div", { class: "work-forms" });
  section.append(forms);

  const owner = control("input", { name: "owner", value: work.owner ?? "", autocomplete: "off", pattern: "[A-Za-z0-9._@+\\-]+", maxlength: "128" });
  forms.append(workForm("Owner", [field("Who works this case (a user name)", owner)], "Assign",
    () => api("PATCH", `/cases/${caseId}`, { owner: owner.value.trim() || null }), reload));

  const status = control("select", { name: "status" }, options(STATUS_CHANGES));
  const reason = control("input", { name: "reason", maxlength: "500" });
  forms.append(workForm("Status", [field("Change the status", status), field("Reason (for a write-off)", reason)], "Change status",
    () => api("PATCH", `/cases/${caseId}`, status.value === "written_off" ? { status: status.value, written_off_reason: reason.value } : { status: status.value }), reload));

  const note = control("textarea", { name: "note", maxlength: "4000", required: true });
  forms.append(workForm("Add a note", [field("Note", note)], "Add note",
    () => api("POST", `/cases/${caseId}/notes`, { text: note.value }), reload));

  const level = control("select", { name: "level" }, options(LEVEL_CHOICES, work.level ?? "appeal"));
  const sentOn = control("input", { type: "date", name: "date", required: true, value: today ?? "" });
  const channel = control("select", { name: "channel" }, options(CHANNELS));
  const sent = documentNames.map((name) => {
    const box = control("input", { type: "checkbox", name: "documents", value: name });
    return h("div", { class: "check" }, box, h("label", { for: box.id }, name));
  });
  forms.append(workForm("Record what was sent", [
    field("Level", level), field("Sent on", sentOn), field("How", channel),
    sent.length ? h("fieldset", {}, h("legend", {}, "Documents sent"), sent) : null,
  ], "Record submission", () => api("POST", `/cases/${caseId}/submissions`, {
    level: level.value,
    date: sentOn.value,
    channel: channel.value,
    documents: sent.map((div) => div.querySelector("input")).filter((box) => box.checked).map((box) => box.value),
  }), reload));

  const outcome = control("select", { name: "outcome" }, options(OUTCOMES));
  const decidedOn = control("input", { type: "date", name: "date", required: true, value: today ?? "" });
  const recovered = control("input", { type: "number", name: "amount", min: "0", step: "0.01", value: "0", inputmode: "decimal" });
  forms.append(workForm("Record the insurer's decision", [
    field("Decision", outcome), field("Decided on", decidedOn), field("Amount recovered (USD)", recovered),
  ], "Record decision", () => api("POST", `/cases/${caseId}/decisions`, {
    outcome: outcome.value, date: decidedOn.value, amount_recovered: Number(recovered.value || 0),
  }), reload));

  forms.append(responseUpload(caseId, reload));
  section.append(h("h3", {}, "History"), historyList(history.items));
  root.append(section);
}

function describe(entry) {
  const c = entry.changes;
  switch (entry.action) {
    case "owner_changed": return `${c.before ?? "nobody"} → ${c.after ?? "nobody"}`;
    case "status_changed": return `${label(STATUSES, c.before)} → ${label(STATUSES, c.after)}${c.reason ? `: ${c.reason}` : ""}`;
    case "note_added": return c.text ?? "";
    case "submission_recorded": return `${label(LEVEL_CHOICES, c.level)} by ${label(CHANNELS, c.channel).toLowerCase()} on ${longDate(c.date)}${c.documents?.length ? ` (${c.documents.join(", ")})` : ""}`;
    case "decision_recorded": return `${label(OUTCOMES, c.outcome)} on ${longDate(c.date)}, ${money(c.amount_recovered)} recovered${c.next_level ? `; next: ${label(LEVEL_CHOICES, c.next_level)}` : ""}`;
    default: return "";
  }
}

function historyList(items) {
  if (!items.length) return h("p", {}, "Nothing has been done on this case yet.");
  return h("ol", { class: "history" }, items.map((entry) => h("li", { "data-action": entry.action },
    h("strong", {}, label(ACTIONS, entry.action)), ": ", describe(entry),
    h("div", { class: "hint" }, `${TIME.format(new Date(entry.at))} · ${entry.by}`))));
}

function responseUpload(caseId, reload) {
  const input = control("input", { type: "file", accept: ".pdf,.txt,application/pdf,text/plain", required: true });
  const bar = h("progress", { max: "100", value: "0", "aria-label": "Upload of the insurer's response", hidden: true });
  const message = h("p", { role: "status" });
  const form = h("form", { class: "stack work-form" },
    h("h3", {}, "The insurer's answer"),
    field("Upload the insurer's response letter", input), bar,
    h("button", { type: "submit" }, "Upload response"),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    bar.hidden = false;
    try {
      await uploadLetter(caseId, input.files[0], (done) => { bar.value = Math.round(done * 100); });
      announce("Response uploaded; it is being read.");
      await reload();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  return form;
}
