// Adjusting the span of the open claim (new, edited, or a suggestion being accepted),
// keeping its labels: keys move either boundary by a word, and two handles in the text
// drag them. The form posts the new start/end/quote: for an existing claim, one recorded
// update (claim_update) with the rest of the form.
//
// [  the start one word to the left (widen)     {  (Shift+[) the start one word to the right
// ]  the end one word to the right (widen)      }  (Shift+]) the end one word to the left
//
// Offsets are code points (the form's start/end); the walk over words is in UTF-16 units of
// the text, converted through the page's OffsetMap, so emoji and other astral characters
// count as one character each.

import { rangeToOffsets } from "../offsets.js";
import { ctx, form, quoteOf, state } from "./context.js";
import { changed } from "./form.js";
import { repaintIfChanged } from "./highlights.js";
import { say } from "./messages.js";

const WORD = /[\p{L}\p{N}\p{M}]/u;

// --- words, in UTF-16 units -------------------------------------------------------------------

const charAfter = (i) => String.fromCodePoint(ctx.TEXT.codePointAt(i));
function charBefore(i) {
  const low = ctx.TEXT.charCodeAt(i - 1);
  const pair = i >= 2 && low >= 0xdc00 && low <= 0xdfff;
  return ctx.TEXT.slice(pair ? i - 2 : i - 1, i);
}
const APOSTROPHES = "'’";
// A word character, or an apostrophe between two of them ("Turkey’s" is one word).
function isWordChar(i) {
  const ch = charAfter(i);
  if (WORD.test(ch)) return true;
  return APOSTROPHES.includes(ch) && i > 0 && WORD.test(charBefore(i))
    && i + 1 < ctx.TEXT.length && WORD.test(charAfter(i + 1));
}
export const isWordAfter = (i) => i < ctx.TEXT.length && isWordChar(i);
export const isWordBefore = (i) => i > 0 && isWordChar(i - charBefore(i).length);
const forward = (i) => i + charAfter(i).length;
const backward = (i) => i - charBefore(i).length;

/** From unit i, over non-word characters then one word, to the right: the end of that word. */
export function nextWordEnd(i) {
  while (i < ctx.TEXT.length && !isWordAfter(i)) i = forward(i);
  while (isWordAfter(i)) i = forward(i);
  return i;
}

/** From unit i, over non-word characters then one word, to the left: the start of that word. */
export function previousWordStart(i) {
  while (i > 0 && !isWordBefore(i)) i = backward(i);
  while (isWordBefore(i)) i = backward(i);
  return i;
}

/** The start of the word after unit i (past the rest of this word and the gap after it). */
export function nextWordStart(i) {
  while (isWordAfter(i)) i = forward(i);
  while (i < ctx.TEXT.length && !isWordAfter(i)) i = forward(i);
  return i;
}

/** The end of the word before unit i (back over this word and the gap before it). */
export function previousWordEnd(i) {
  while (isWordBefore(i)) i = backward(i);
  while (i > 0 && !isWordBefore(i)) i = backward(i);
  return i;
}

// --- the span of the open form -----------------------------------------------------------------

/** The span the open form holds ({start, end} in code points), or null. */
export function formSpan() {
  const f = form();
  if (!f || f.elements.start?.value === "" || f.elements.end?.value === "") return null;
  const start = Number(f.elements.start.value), end = Number(f.elements.end.value);
  return Number.isInteger(start) && Number.isInteger(end) && start < end ? { start, end } : null;
}

/** Give the open claim the span [start, end) (code points), keeping everything else. */
export function setSpan(start, end) {
  const f = form();
  if (!f || !(start < end) || start < 0 || end > ctx.map.length) return false;
  const quote = quoteOf(start, end);
  if (!quote.trim()) return false;
  f.elements.start.value = String(start);
  f.elements.end.value = String(end);
  f.elements.quote.value = quote;
  const shown = f.querySelector(".form-quote");
  if (shown) shown.textContent = quote;
  if (f.dataset.claimId) state.adjusted = { start, end };
  else state.pending = { start, end };
  changed();
  repaintIfChanged();
  return true;
}

/** Move one boundary of the open claim by a word: which = "start" | "end", step = -1 | 1. */
export function moveBoundary(which, step) {
  const span = formSpan();
  if (!span) return false;
  const { map } = ctx;
  let s = map.toUtf16(span.start), e = map.toUtf16(span.end);
  if (which === "start") s = step < 0 ? previousWordStart(s) : nextWordStart(s);
  else e = step > 0 ? nextWordEnd(e) : previousWordEnd(e);
  if (s >= e) {
    say("A claim keeps at least one word.");
    return true;
  }
  setSpan(map.toCodePoint(s), map.toCodePoint(e));
  return true;
}

// --- dragging the handles ----------------------------------------------------------------------

/** The code-point offset in the text under the pointer, or null. */
export function offsetAt(x, y) {
  let node, offset;
  if (document.caretPositionFromPoint) {
    const position = document.caretPositionFromPoint(x, y);
    if (!position) return null;
    ({ offsetNode: node, offset } = position);
  } else {
    const range = document.caretRangeFromPoint?.(x, y);
    if (!range) return null;
    ({ startContainer: node, startOffset: offset } = range);
  }
  if (!ctx.textEl.contains(node)) return null;
  const range = document.createRange();
  range.setStart(ctx.textEl, 0);
  range.setEnd(node, offset);
  const found = rangeToOffsets(ctx.textEl, range);
  return found ? found.end : 0;
}

let dragging = null; // "start" | "end" while a handle is dragged

/** Whether a handle is being (or was just) dragged: the text's mouseup is not a selection. */
export const isDragging = () => dragging !== null;

function drag(event) {
  const span = formSpan();
  const at = offsetAt(event.clientX, event.clientY);
  if (!span || at === null) return;
  const { map } = ctx;
  const unit = map.toUtf16(at);
  // The boundary lands on a word's edge: the start at the start of the word under the
  // pointer, the end at its end.
  let s = map.toUtf16(span.start), e = map.toUtf16(span.end);
  if (dragging === "start") {
    s = isWordBefore(unit) ? previousWordStart(unit) : isWordAfter(unit) ? unit : nextWordStart(unit);
  } else {
    e = isWordAfter(unit) ? nextWordEnd(unit) : isWordBefore(unit) ? unit : previousWordEnd(unit);
  }
  if (s < e) setSpan(map.toCodePoint(s), map.toCodePoint(e));
}

export function installSpan() {
  ctx.textEl.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest?.("[data-handle]");
    if (!handle) return;
    event.preventDefault(); // no text selection while dragging
    dragging = handle.dataset.handle;
    ctx.ws.classList.add("dragging-span");
  });
  document.addEventListener("pointermove", (event) => {
    if (dragging) drag(event);
  });
  const stop = () => {
    if (!dragging) return;
    // The mouseup that follows must not be read as a click on a highlight.
    setTimeout(() => (dragging = null), 0);
    ctx.ws.classList.remove("dragging-span");
  };
  document.addEventListener("pointerup", stop);
  document.addEventListener("pointercancel", stop);
}
