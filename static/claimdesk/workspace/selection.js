// Selections in the text: a selection becomes a new claim (snapped to whole words, or
// exact with Alt), or the source mention of the open claim in mention mode. Clicks on
// highlights open claims and suggestions.

import { offsetsToRange, rangeToOffsets, snapToWords } from "../offsets.js";
import { ctx, form, quoteOf, state } from "./context.js";
import { select } from "./claims.js";
import { changed, openNew } from "./form.js";
import { repaintIfChanged } from "./highlights.js";
import { say } from "./messages.js";
import { formSpan, isDragging, setSpan } from "./span.js";
import { selectSuggestion } from "./suggestions.js";

const NO_WORDS = "That selection holds no words: select at least one word.";

/** The span the user selected in the text: {start, end, quote}, {error}, or null. */
function selection(exact) {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  const { textEl } = ctx;
  if (!textEl.contains(range.commonAncestorContainer) && !range.intersectsNode(textEl)) return null;
  const raw = rangeToOffsets(textEl, range);
  if (!raw) return null;
  let start = raw.start, end = raw.end;
  if (exact) {
    if (!quoteOf(start, end).trim()) return { error: NO_WORDS };
  } else {
    const snapped = snapToWords(ctx.TEXT, start, end);
    if (!snapped) return { error: NO_WORDS };
    [start, end] = snapped;
  }
  return { start, end, quote: quoteOf(start, end) };
}

/** Whether words of the article are selected, offered as a new claim (no form open). */
export const offersClaim = () => {
  if (form() || state.mentionMode) return false;
  const span = selection(false);
  return Boolean(span && !span.error);
};

function showSelection(span) {
  const sel = document.getSelection();
  sel.removeAllRanges();
  sel.addRange(offsetsToRange(ctx.textEl, span.start, span.end));
}

/** The selection made a claim: a new one, the mention of the open one, or — a mouse or
 * touch selection while a claim is open — nothing silently: the new claim's span follows
 * it, and an existing claim (or a suggestion being accepted) is offered the choice. */
export function takeSelection(exact, { explicit }) {
  const span = selection(exact);
  if (!span) {
    if (explicit) say("Select some words in the article first.");
    return;
  }
  if (span.error) {
    say(span.error);
    return;
  }
  say("");
  if (state.mentionMode) {
    setMention(span);
    document.getSelection().removeAllRanges();
    return;
  }
  const f = form();
  if (f && !explicit) {
    if (!f.dataset.claimId && !f.dataset.suggestionId) {
      setSpan(span.start, span.end);
      showSelection(span);
      say("The new claim's span is now the selection (its labels are kept).");
    } else {
      say("You are editing a claim: set the selection as its span, or start a new claim (n).");
      updateBar();
    }
    return;
  }
  showSelection(span);
  openNew(span);
}

/** "Set as this claim's span": the selection becomes the open claim's span. */
function spanFromSelection() {
  const span = selection(false);
  if (!span || span.error) {
    say(span?.error || "Select some words in the article first.");
    return;
  }
  setSpan(span.start, span.end);
  document.getSelection().removeAllRanges();
  say("Span changed: save (Ctrl+Enter) to keep it.");
  updateBar();
}

// --- the selection bar: "Claim from selection" (touch, keyboard, or while editing) ----------

const bar = () => document.getElementById("selection-bar");

function updateBar() {
  const element = bar();
  if (!element) return;
  const span = state.mentionMode ? null : selection(false);
  const open = formSpan();
  const shown = Boolean(span && !span.error)
    && !(open && open.start === span.start && open.end === span.end);
  element.hidden = !shown;
  if (!shown) return;
  element.querySelector(".selection-quote").textContent = `“${span.quote}”`;
  const f = form();
  const spanButton = element.querySelector("[data-action=span-from-selection]");
  spanButton.hidden = !f;
}

let pendingUpdate = 0;
function scheduleBar() {
  cancelAnimationFrame(pendingUpdate);
  pendingUpdate = requestAnimationFrame(updateBar);
}

export function toggleMentionMode(on = !state.mentionMode) {
  if (!form()) return false;
  state.mentionMode = on;
  ctx.ws.classList.toggle("picking-mention", on);
  form().querySelector("[data-action=pick-mention]")?.setAttribute("aria-pressed", String(on));
  if (on) say("Select the words that name the source (Esc to cancel).");
  else say("");
  return true;
}

function setMention(span) {
  const f = form();
  if (!f || !f.elements.mention_start) return;
  f.elements.mention_start.value = span ? span.start : "";
  f.elements.mention_end.value = span ? span.end : "";
  const shown = document.getElementById("mention-quote");
  shown.textContent = span ? `“${span.quote}”` : "none";
  state.mention = span ? { start: span.start, end: span.end } : null;
  toggleMentionMode(false);
  changed();
  repaintIfChanged();
}

export function installSelection() {
  const { textEl, panel } = ctx;
  // Touch selections (and keyboard ones) fire no mouseup: the bar offers the claim.
  document.addEventListener("selectionchange", scheduleBar);
  // A form that arrives may hold the selected words already: no offer then.
  document.body.addEventListener("htmx:afterSettle", scheduleBar);
  // The saved claim's words are no longer an offer: a letter typed next is a shortcut.
  document.body.addEventListener("claimdesk:saved", () => document.getSelection().removeAllRanges());
  bar()?.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "claim-from-selection") takeSelection(false, { explicit: true });
    else if (action === "span-from-selection") spanFromSelection();
    scheduleBar();
  });
  textEl.addEventListener("mouseup", (event) => {
    if (isDragging()) return; // the end of a handle's drag, not a click or a selection
    const exact = event.altKey;
    // Let the browser finish the selection (a double click selects a word on mouseup).
    setTimeout(() => {
      const sel = document.getSelection();
      if (!sel || sel.isCollapsed) {
        const mark = event.target.closest?.("mark[data-claim-ids]");
        const suggested = event.target.closest?.("[data-suggestion-ids]");
        if (suggested && !mark && !state.mentionMode) {
          selectSuggestion(suggested.dataset.suggestionIds.split(" ")[0], { scroll: false });
          return;
        }
        if (mark && !state.mentionMode) {
          const ids = mark.dataset.claimIds.split(" ");
          // Clicking again on the current claim steps out to the claim around it.
          const at = ids.indexOf(state.current);
          const id = at > 0 ? ids[at - 1] : ids[ids.length - 1];
          select(id, { open: true, scroll: false });
        }
        return;
      }
      takeSelection(exact, { explicit: false });
    }, 0);
  });

  panel.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "pick-mention") toggleMentionMode();
    else if (action === "clear-mention") setMention(null);
  });
}
