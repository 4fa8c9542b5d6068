// Analytics: placeholder until the analytics endpoint lands (issue 15).
import { h } from "./dom.js";

export function renderAnalytics(root) {
  root.append(h("h1", {}, "Analytics"));
}
