// Case work: what a case worker does to a case after the letter is read.
import { api, upload } from "./api.js";
import { announce, h } from "./dom.js";
import { label, TASK_STATUSES } from "./words.js";

const RUNNING = new Set(["queued", "running"]);

export function renderCaseWork(root, theCase, reload) {
  const section = h("section", { class: "card wide", "aria-labelledby": "work-title" }, h("h2", { id: "work-title" }, "Case work"));
  const running = theCase.tasks.filter((task) => RUNNING.has(task.status));
  for (const task of running) {
    const cancel = h("button", { type: "button", class: "danger" }, "Stop reading this letter");
    cancel.addEventListener("click", async () => {
      await api("POST", `/tasks/${task.task_id}/cancel`);
      announce("Stopped.");
      await reload();
    });
    section.append(h("p", {}, `${label(TASK_STATUSES, task.status)}. `, cancel));
  }
  section.append(responseUpload(theCase, reload));
  root.append(section);
}

function responseUpload(theCase, reload) {
  const input = h("input", { type: "file", id: "response-file", accept: ".pdf,.txt,application/pdf,text/plain", required: true });
  const bar = h("progress", { max: "100", value: "0", "aria-label": "Upload of the insurer's response", hidden: true });
  const message = h("p", { role: "status" });
  const form = h("form", { class: "stack" },
    h("h3", {}, "The insurer's answer"),
    h("label", { for: "response-file" }, "Upload the insurer's response letter"),
    input, bar,
    h("button", { type: "submit" }, "Upload response"),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData();
    data.append("file", input.files[0]);
    data.append("doc_type", "denial_letter");
    bar.hidden = false;
    try {
      await upload(`/cases/${theCase.case_id}/documents`, data, (done) => { bar.value = Math.round(done * 100); });
      announce("Response uploaded; it is being read.");
      await reload();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  return form;
}
