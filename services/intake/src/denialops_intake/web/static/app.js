// The page's shell: sign-in, navigation between views (in the URL's fragment, which holds at most a
// case id: never a name, member id or any other PHI) and sign-out.
import { ApiError, currentSession, signIn, signOut } from "./api.js";
import { announce, clear, h } from "./dom.js";
import { renderAnalytics } from "./analytics.js";
import { renderCase } from "./case.js";
import { renderNewCase } from "./new_case.js";
import { renderWorklist } from "./worklist.js";

const main = () => document.getElementById("main");
let session = null;
// Each view may leave something running (a live stream, a refresh timer): stopped on navigation.
let stopView = () => {};

const VIEWS = [
  [/^#\/new$/, () => renderNewCase, "New case"],
  [/^#\/cases\/([A-Za-z0-9_-]+)$/, () => renderCase, "Case"],
  [/^#\/analytics$/, () => renderAnalytics, "Analytics"],
  [/^(#\/worklist)?$/, () => renderWorklist, "Worklist"],
];

function setTitle(name) {
  // Titles name the view only: a tab title is seen over shoulders and kept in history.
  document.title = `${name} · DenialOps`;
}

async function route() {
  stopView();
  stopView = () => {};
  // Each view draws into a container of its own: a slower view still loading when the next one starts
  // writes into a container no longer on the page.
  const root = h("div", { class: "view" });
  clear(main()).append(root);
  if (!session) {
    renderSignIn(root);
    return;
  }
  document.getElementById("nav").hidden = false;
  const hash = location.hash || "#/worklist";
  for (const [pattern, view, name] of VIEWS) {
    const match = pattern.exec(hash);
    if (!match) continue;
    setTitle(name);
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.getAttribute("href") === hash) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    try {
      const stop = await view()(root, ...match.slice(1));
      if (typeof stop === "function") stopView = stop;
    } catch (error) {
      showError(root, error);
    }
    return;
  }
  setTitle("Not found");
  root.append(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/worklist" }, "Go to the worklist")));
}

function showError(root, error) {
  if (error instanceof ApiError && error.status === 401) {
    session = null;
    route();
    return;
  }
  const message = error instanceof ApiError && error.status === 404
    ? "This case does not exist, or it belongs to another organisation."
    : error.message;
  root.append(h("p", { class: "error", role: "alert" }, message));
}

function renderSignIn(root) {
  setTitle("Sign in");
  document.getElementById("nav").hidden = true;
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", {}, "Paste your organisation's API key. It is exchanged once for a session and not stored in this browser."),
    h("label", { for: "api-key" }, "API key"),
    input,
    error,
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      session = await signIn(input.value.trim());
      input.value = "";
      announce("Signed in.");
      if (location.hash) {
        await route();
        main().focus();
      } else {
        // The hashchange listener draws the worklist and moves focus: drawing here too raced with it.
        location.hash = "#/worklist";
      }
    } catch (failure) {
      error.textContent = failure.status === 401 ? "That key was not accepted. Check it and try again." : failure.message;
      error.hidden = false;
      input.focus();
    }
  });
  root.append(form);
  input.focus();
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", async () => {
    stopView();
    await signOut();
    session = null;
    document.getElementById("nav").hidden = true;
    location.hash = "";
    await route();
    announce("Signed out.");
  });
  window.addEventListener("hashchange", () => {
    route();
    main().focus();
  });
  session = await currentSession();
  await route();
}

start();
