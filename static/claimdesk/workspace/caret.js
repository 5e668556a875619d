// Caret mode: a claim from the keyboard alone, no mouse and no selection needed.
//
// c              caret mode on (the caret starts at the first word in view) / off
// ← →            the caret to the previous / next word
// ↑ ↓            the caret to the previous / next sentence
// Space          mark the start of the claim at the caret (again: mark it anew)
// Enter or n     a new claim from the mark to the caret (snapped to whole words)
// Esc            leave caret mode
//
// The caret and the marked words are painted in the text (highlights.js) as an empty
// element and an overlay: the text itself never changes (offsets.js contract).

import { snapToWords } from "../offsets.js";
import { ctx, inForm, quoteOf, state } from "./context.js";
import { openNew } from "./form.js";
import { repaintIfChanged } from "./highlights.js";
import { say } from "./messages.js";
import { isTyping } from "../shortcuts.js";
import { isWordAfter, nextWordStart, offsetAt, previousWordStart } from "./span.js";

const SENTENCE_END = /[.!?…]/u;
const CLOSERS = /[”’"»)\]]/u;
const SPACE = /\s/u;

/** UTF-16 unit of the start of the sentence after unit i (or the end of the text). */
function nextSentence(i) {
  const t = ctx.TEXT;
  while (i < t.length) {
    const ch = t[i];
    i += 1;
    if (ch === "\n" || SENTENCE_END.test(ch)) {
      while (i < t.length && CLOSERS.test(t[i])) i += 1;
      if (ch === "\n" || i >= t.length || SPACE.test(t[i])) break;
    }
  }
  return isWordAfter(i) ? i : Math.min(nextWordStart(i), t.length);
}

/** UTF-16 unit of the start of the sentence before the one holding unit i. */
function previousSentence(i) {
  const here = sentenceStart(i);
  return here < i ? here : sentenceStart(Math.max(0, here - 1));
}

function sentenceStart(i) {
  let j = 0;
  for (let next = nextSentence(0); next <= i && next > j; next = nextSentence(next)) j = next;
  return j;
}

const toUnit = (cp) => ctx.map.toUtf16(cp);
const toCp = (unit) => ctx.map.toCodePoint(unit);

function firstWordInView() {
  const box = ctx.textEl.getBoundingClientRect();
  const at = offsetAt(box.left + 4, Math.max(box.top, 0) + 12);
  const unit = at === null ? 0 : toUnit(at);
  return isWordAfter(unit) ? unit : nextWordStart(unit);
}

function show() {
  repaintIfChanged();
  ctx.textEl.querySelector(".text-caret")?.scrollIntoView({ block: "nearest" });
}

export function toggleCaret(on = !state.caret) {
  if (!on) {
    state.caret = null;
    ctx.ws.classList.remove("caret-mode");
    say("");
    repaintIfChanged();
    return true;
  }
  state.caret = { at: toCp(firstWordInView()), mark: null };
  ctx.ws.classList.add("caret-mode");
  say("Caret mode: ← → words, ↑ ↓ sentences, Space marks the start, Enter makes the claim, Esc leaves.");
  show();
  return true;
}

function move(to) {
  state.caret.at = toCp(Math.max(0, Math.min(to, ctx.TEXT.length)));
  show();
}

function claimFromMark() {
  const { at, mark } = state.caret;
  if (mark === null || mark === at) {
    say("Mark the start with Space, move the caret past the last word, then Enter.");
    return;
  }
  const snapped = snapToWords(ctx.TEXT, Math.min(mark, at), Math.max(mark, at));
  if (!snapped) {
    say("Those marks hold no words.");
    return;
  }
  const [start, end] = snapped;
  toggleCaret(false);
  openNew({ start, end, quote: quoteOf(start, end) });
}

/** The marked words so far, for the painter: {start, end} or null. */
export function caretMarked() {
  if (!state.caret || state.caret.mark === null || state.caret.mark === state.caret.at) return null;
  const { at, mark } = state.caret;
  return { start: Math.min(at, mark), end: Math.max(at, mark) };
}

export function installCaret() {
  // Before the shortcuts (capture): in caret mode, arrows, Space and Enter move and mark.
  document.addEventListener("keydown", (event) => {
    if (!state.caret || event.defaultPrevented || isTyping(event.target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const unit = toUnit(state.caret.at);
    const handled = {
      ArrowRight: () => move(nextWordStart(unit)),
      ArrowLeft: () => move(previousWordStart(unit)),
      ArrowDown: () => move(nextSentence(unit)),
      ArrowUp: () => move(previousSentence(unit)),
      " ": () => {
        state.caret.mark = state.caret.at;
        say("Start marked: move to the word after the last one, then Enter.");
        show();
      },
      Enter: claimFromMark,
      n: claimFromMark,
      Escape: () => toggleCaret(false),
    }[event.key];
    if (!handled) return;
    event.preventDefault();
    event.stopPropagation();
    handled();
  }, true);
  document.body.addEventListener("htmx:afterSettle", () => {
    if (state.caret && inForm()) toggleCaret(false);
  });
}
