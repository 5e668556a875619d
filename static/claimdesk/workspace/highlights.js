// Highlights of my claims (and outlines of suggestions) in the text.
//
// The server renders the article text as the only content of #article-text and my claims
// as rows of #claim-rows (data-start/data-end are code-point offsets). Highlights are
// built here from those rows: the text is cut at every claim boundary and each piece
// that some claims cover becomes a <mark> holding exactly that piece (textContent, never
// innerHTML), so the container's text stays the article text (offsets.js contract).

import { claims, ctx, rows, state, suggestionRows } from "./context.js";
import { caretMarked } from "./caret.js";
import { formSpan } from "./span.js";
import { keepSuggestion } from "./suggestions.js";

const PALETTE = [
  "#2f6fd0", "#d0742f", "#2f9d5b", "#b23a8f", "#8a6d1d", "#1f9aa8", "#c2413a", "#6a4fc9",
];

export const colour = (id) => PALETTE[Number(id) % PALETTE.length];

export function paint() {
  const { map, TEXT, textEl } = ctx;
  const list = claims().sort((a, b) => a.start - b.start || b.end - a.end);
  const overlays = [];
  for (const row of suggestionRows()) {
    const id = row.dataset.suggestionId;
    overlays.push({
      start: Number(row.dataset.start), end: Number(row.dataset.end), suggestion: id,
      cls: id === state.suggestion ? "hl-suggestion current-suggestion" : "hl-suggestion",
    });
  }
  if (state.pending) overlays.push({ ...state.pending, cls: "hl-pending" });
  if (state.adjusted) overlays.push({ ...state.adjusted, cls: "hl-pending hl-adjusted" });
  // The open claim's span gets a handle at each end (empty elements: no text of their own).
  const handles = state.mentionMode ? null : formSpan();
  const marked = caretMarked();
  if (marked) overlays.push({ ...marked, cls: "hl-marked" });
  const caret = state.caret ? state.caret.at : null;
  if (state.mention) overlays.push({ ...state.mention, cls: "hl-mention" });
  const points = new Set([0, map.length, ...(handles ? [handles.start, handles.end] : [])]);
  if (caret !== null) points.add(caret);
  for (const span of [...list, ...overlays]) {
    points.add(span.start);
    points.add(span.end);
  }
  const cuts = [...points].filter((p) => p >= 0 && p <= map.length).sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  for (let i = 0; i < cuts.length - 1; i++) {
    const a = cuts[i], b = cuts[i + 1];
    if (handles && a === handles.start) fragment.append(handle("start"));
    if (a === caret) fragment.append(caretElement());
    const piece = TEXT.slice(map.toUtf16(a), map.toUtf16(b));
    const covering = list.filter((c) => c.start <= a && c.end >= b);
    const over = overlays.filter((o) => o.start <= a && o.end >= b);
    const extra = over.flatMap((o) => o.cls.split(" "));
    const suggested = over.filter((o) => o.suggestion).map((o) => o.suggestion);
    if (!covering.length && !extra.length) {
      fragment.append(document.createTextNode(piece));
      if (handles && b === handles.end) fragment.append(handle("end"));
      continue;
    }
    const mark = document.createElement(covering.length ? "mark" : "span");
    mark.textContent = piece;
    mark.classList.add(...extra);
    if (suggested.length) mark.dataset.suggestionIds = suggested.join(" ");
    if (covering.length) {
      const inner = covering[covering.length - 1];
      mark.classList.add("hl", `depth-${Math.min(covering.length, 4)}`);
      mark.dataset.claimIds = covering.map((c) => c.id).join(" ");
      mark.style.setProperty("--hl", colour(inner.id));
      // One underline per claim, the outermost at the bottom: nesting stays visible.
      mark.style.boxShadow = covering
        .map((c, k) => `inset 0 -${2 * (k + 1)}px 0 ${colour(c.id)}`)
        .join(", ");
      mark.title = covering.map((c) => c.summary).join("\n");
      if (covering.some((c) => c.id === state.current)) mark.classList.add("current");
    }
    fragment.append(mark);
    if (handles && b === handles.end) fragment.append(handle("end"));
  }
  if (caret === map.length) fragment.append(caretElement());
  textEl.replaceChildren(fragment);
  for (const row of rows()) {
    row.style.setProperty("--hl", colour(row.dataset.claimId));
    row.classList.toggle("current", row.dataset.claimId === state.current);
  }
  for (const row of suggestionRows()) {
    row.classList.toggle("current", row.dataset.suggestionId === state.suggestion);
  }
  const count = document.getElementById("claim-count");
  if (count) count.textContent = String(rows().length);
}

function caretElement() {
  const element = document.createElement("span");
  element.className = "text-caret";
  element.setAttribute("aria-hidden", "true");
  return element;
}

function handle(which) {
  const element = document.createElement("span");
  element.className = `span-handle span-handle-${which}`;
  element.dataset.handle = which;
  element.title = which === "start"
    ? "Drag to move the start ([ and { move it by a word)"
    : "Drag to move the end (] and } move it by a word)";
  return element;
}

function signature() {
  const current = [state.current, JSON.stringify(state.pending), JSON.stringify(state.mention),
    JSON.stringify(state.adjusted), JSON.stringify(state.caret), `s${state.suggestion}`,
    state.mentionMode ? "" : JSON.stringify(formSpan())];
  return rows().map((r) => `${r.dataset.claimId}:${r.dataset.start}:${r.dataset.end}:${r.dataset.summary}`)
    .concat(suggestionRows().map((r) => `s${r.dataset.suggestionId}`))
    .concat(current).join("|");
}

export function repaintIfChanged() {
  keepSuggestion();
  const now = signature();
  if (now !== state.signature) {
    state.signature = now;
    paint();
  }
}

export function installHighlights() {
  state.signature = signature();
  paint();
  new MutationObserver(() => requestAnimationFrame(repaintIfChanged)).observe(
    document.querySelector(".ws-side"),
    { childList: true, subtree: true, attributes: true, attributeFilter: ["data-start", "data-end", "data-summary"] },
  );
}
