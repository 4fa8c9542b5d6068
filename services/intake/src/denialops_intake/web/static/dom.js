// Building the page from data. Every piece of text goes in through textContent or a text node, never
// through innerHTML: a letter or a model answer containing <script> or onerror= shows as text.

/** An element: h("p", {class: "x"}, "text", child). Attributes are set as attributes, children as nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Markdown of the generated documents: headings, lists, quotes, rules, paragraphs, **bold** and
// `code`. Enough for our templates; anything else stays literal text.
export function renderMarkdown(source) {
  const root = document.createDocumentFragment();
  let list = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) root.append(h("p", {}, inline(paragraph.join(" "))));
    paragraph = [];
  };
  for (const raw of source.split("\n")) {
    const line = raw.trimEnd();
    if (/^<!--.*-->$/.test(line.trim())) continue; // generation notes are for machines
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*+]|(\d+)[.)])\s+(?:\[[ xX]\]\s+)?(.*)$/.exec(line);
    if (heading || item || !line.trim() || /^(-{3,}|\*{3,})$/.test(line.trim()) || line.startsWith(">")) flush();
    if (!item) list = null;
    if (heading) {
      // Document headings sit under the page's own h2/h3.
      root.append(h(`h${Math.min(6, heading[1].length + 3)}`, {}, inline(heading[2])));
    } else if (item) {
      if (!list) {
        list = h(item[1] ? "ol" : "ul");
        root.append(list);
      }
      list.append(h("li", {}, inline(item[2])));
    } else if (/^(-{3,}|\*{3,})$/.test(line.trim())) {
      root.append(h("hr"));
    } else if (line.startsWith(">")) {
      root.append(h("blockquote", {}, inline(line.replace(/^>\s?/, ""))));
    } else if (line.trim()) {
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}

function inline(text) {
  const parts = [];
  const pattern = /\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    parts.push(match[1] !== undefined ? h("strong", {}, match[1]) : h("code", {}, match[2]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** Text with the given [start, end) spans wrapped in <mark>; overlapping spans are merged. */
export function highlighted(text, spans) {
  const sorted = spans
    .map(({ start, end }) => [Math.max(0, start), Math.min(text.length, end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const span of sorted) {
    const prev = merged[merged.length - 1];
    if (prev && span[0] <= prev[1]) prev[1] = Math.max(prev[1], span[1]);
    else merged.push([...span]);
  }
  const out = document.createDocumentFragment();
  let pos = 0;
  for (const [start, end] of merged) {
    out.append(text.slice(pos, start), h("mark", {}, text.slice(start, end)));
    pos = end;
  }
  out.append(text.slice(pos));
  return out;
}

export function announce(message) {
  const status = document.getElementById("status");
  status.textContent = "";
  // A fresh text node so screen readers read a repeated message again.
  setTimeout(() => { status.textContent = message; }, 50);
}
