// New case: drop one or more letters (PDF or text); each becomes a case, uploaded with a progress bar,
// then followed stage by stage on the live progress stream until its plan is ready.
import { api, followCase, upload } from "./api.js";
import { announce, h } from "./dom.js";
import { label, STAGE_STATUSES, STAGES, TASK_STATUSES } from "./words.js";

const ACCEPT = ".pdf,.txt,application/pdf,text/plain";

export function renderNewCase(root) {
  // The native control stays in the tab order (visually hidden); its label is the visible button.
  const input = h("input", { id: "letters", type: "file", multiple: true, accept: ACCEPT, class: "file-input visually-hidden" });
  const zone = h(
    "div",
    { class: "drop-zone", id: "drop-zone" },
    h("p", { class: "drop-title" }, "Drop denial letters here"),
    h("p", {}, "PDF or text files, one case per letter. Or choose them:"),
    input,
    h("label", { for: "letters", class: "button" }, "Choose letters"),
  );
  const list = h("ol", { class: "uploads", "aria-label": "Letters being read" });
  root.append(
    h("h1", {}, "New case"),
    h("p", {}, "We read each letter, find the deadline and write an action plan with the documents to send."),
    zone,
    list,
  );
  const handle = (files) => {
    for (const file of files) startCase(file, list);
  };
  input.addEventListener("change", () => {
    handle([...input.files]);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    handle([...event.dataTransfer.files]);
  });
}

async function startCase(file, list) {
  const number = list.children.length + 1;
  const bar = h("progress", { max: "100", value: "0", id: `upload-${number}`, "aria-label": `Upload of letter ${number}` });
  const stages = h("ol", { class: "stages" });
  const state = h("p", { class: "state" }, "Uploading…");
  const item = h("li", { class: "card upload" }, h("h2", {}, `Letter ${number}`), bar, state, stages);
  list.append(item);
  try {
    const created = await api("POST", "/cases", { mode: "fast", auto_run: true });
    const form = new FormData();
    form.append("file", file);
    form.append("doc_type", "denial_letter");
    await upload(`/cases/${created.case_id}/documents`, form, (done) => { bar.value = Math.round(done * 100); });
    state.textContent = "Uploaded. Reading the letter…";
    let finished = null;
    await followCase(created.case_id, (task) => {
      stages.replaceChildren(...task.stages.map((stage) =>
        h("li", { class: `stage ${stage.status}` }, `${label(STAGES, stage.stage)}: ${label(STAGE_STATUSES, stage.status)}`)));
      state.textContent = label(TASK_STATUSES, task.status);
      if (["succeeded", "failed", "cancelled"].includes(task.status)) finished = task;
    });
    const done = finished?.status === "succeeded";
    state.replaceChildren(
      done ? "The plan is ready. " : `This letter could not be read to the end (${label(TASK_STATUSES, finished?.status)}). `,
      h("a", { href: `#/cases/${created.case_id}` }, "Open the case"),
    );
    announce(done ? `Letter ${number} is ready.` : `Letter ${number} did not finish.`);
  } catch (error) {
    state.replaceChildren(h("span", { class: "error", role: "alert" }, error.message));
  }
}
