// Suggestions: the current one (Shift+J / Shift+K), accept (y), edit then accept
// (Shift+E), dismiss (x). They are outlined in the text, never painted as claims.

import { ctx, state, suggestionRowOf, suggestionRows } from "./context.js";
import { confirmDiscard } from "./form.js";
import { repaintIfChanged } from "./highlights.js";
import { say } from "./messages.js";

/** After an accept or dismiss the current suggestion leaves the list: the one that
 * followed it becomes current (y and x act on it), and counts as not yet reached: the next
 * Shift+J stays on it instead of skipping it (issue 18). */
export function keepSuggestion() {
  if (state.suggestion === null || suggestionRowOf(state.suggestion)) return;
  const all = suggestionRows();
  state.suggestion = all.length
    ? all[Math.min(state.suggestionIndex, all.length - 1)].dataset.suggestionId : null;
  state.suggestionArrived = state.suggestion !== null;
}

export function selectSuggestion(id, { scroll = true } = {}) {
  state.suggestion = id ? String(id) : null;
  state.suggestionArrived = false;
  const all = suggestionRows();
  state.suggestionIndex = Math.max(0, all.findIndex((r) => r.dataset.suggestionId === state.suggestion));
  repaintIfChanged();
  const row = id && suggestionRowOf(id);
  if (row && scroll) {
    row.scrollIntoView({ block: "nearest" });
    ctx.textEl.querySelector(".current-suggestion")?.scrollIntoView({ block: "center", behavior: "smooth" });
  }
  return Boolean(row);
}

export function stepSuggestion(delta) {
  const all = suggestionRows();
  if (!all.length) return false;
  const i = all.findIndex((r) => r.dataset.suggestionId === state.suggestion);
  if (delta > 0 && i >= 0 && state.suggestionArrived) return selectSuggestion(state.suggestion);
  const next = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(Math.max(i + delta, 0), all.length - 1);
  return selectSuggestion(all[next].dataset.suggestionId);
}

export function answerSuggestion(kind) {
  const row = state.suggestion && suggestionRowOf(state.suggestion);
  if (!row) {
    say("No suggestion chosen: Shift+J goes to the next one.");
    return false;
  }
  if (kind !== "dismiss" && !confirmDiscard()) return true;
  const { htmx, ws } = ctx;
  if (kind === "accept") {
    htmx.ajax("POST", row.dataset.acceptUrl, { source: ws, target: "#claim-panel", swap: "innerHTML" });
  } else if (kind === "edit") {
    htmx.ajax("GET", row.dataset.editUrl, { source: ws, target: "#claim-panel", swap: "innerHTML" });
  } else {
    htmx.ajax("POST", row.dataset.dismissUrl, { source: ws, target: "#suggestion-list", swap: "outerHTML" });
  }
  return true;
}

export function installSuggestions() {
  document.addEventListener("click", (event) => {
    const suggestion = event.target.closest(".suggestion-row");
    if (suggestion) selectSuggestion(suggestion.dataset.suggestionId, { scroll: false });
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    // Settling puts back the attributes a swapped row came with: mark the current again.
    keepSuggestion();
    for (const row of suggestionRows()) {
      row.classList.toggle("current", row.dataset.suggestionId === state.suggestion);
    }
  });
}
