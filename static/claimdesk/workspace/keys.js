// The workspace's keyboard shortcuts: one table (shortcuts.js runs it). The help dialog
// of the page and docs/guide/annotating.md list the same keys.

import { installShortcuts } from "../shortcuts.js";
import { ctx, form, inForm, state } from "./context.js";
import { toggleCaret } from "./caret.js";
import { focusChainSearch } from "./chains.js";
import { deleteCurrent, select, step } from "./claims.js";
import { closeForm, nextTarget } from "./form.js";
import { hold, keep } from "./held-keys.js";
import { chooseByDigit, chooseReliability, isReliabilityKey, sameAsLast, stanceKey } from "./labels.js";
import { restore } from "./messages.js";
import { offersClaim, takeSelection, toggleMentionMode } from "./selection.js";
import { isFormControl } from "../shortcuts.js";
import { moveBoundary } from "./span.js";
import { answerSuggestion, stepSuggestion } from "./suggestions.js";

const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
const LETTERS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"];

function click(selector) {
  const element = document.querySelector(selector);
  if (!element) return false;
  element.click();
  return true;
}

const LETTER = /^\p{L}$/u;

/** Type the source's name straight after selecting words: the first letter (not n, the
 * key of an empty search) opens the new claim's form, and every key typed until the form
 * is there goes into its source search instead of being a shortcut (Enter and the keys
 * after it are held, then replayed there: held-keys.js). */
function typeAhead(event) {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (ctx.help.open || state.caret || isFormControl(event.target)) return;
  if (state.typed !== null && !form()) {
    if (event.key === "Backspace") state.typed = state.typed.slice(0, -1);
    else if (event.key.length === 1) state.typed += event.key;
    else if (event.key === "Enter" || event.key === "Tab") {
      // The name is complete: Enter (or Tab) and every key after it wait for the form,
      // then go to its search as if typed there (form.js releases them).
      keep(event);
      hold("form");
    } else return;
    event.preventDefault();
    return;
  }
  if (!LETTER.test(event.key) || event.key === "n" || !offersClaim()) return;
  takeSelection(false, { explicit: true });
  if (state.typed === null) return;
  state.typed = event.key;
  event.preventDefault();
}

export function installKeys() {
  const { help } = ctx;
  document.addEventListener("keydown", typeAhead);
  installShortcuts([
    { keys: ["Enter"], mod: true, when: inForm, run: () => form().requestSubmit() },
    {
      keys: ["Escape"], inFields: true,
      run: () => {
        if (help.open) return false;
        if (state.mentionMode) return toggleMentionMode(false);
        if (form()) return closeForm();
        return false;
      },
    },
    { keys: ["n"], run: (e) => takeSelection(e.altKey, { explicit: true }) },
    { keys: ["c"], run: () => toggleCaret() },
    { keys: ["j", "ArrowDown"], when: () => !inForm() || !state.dirty, run: () => step(1) },
    { keys: ["k", "ArrowUp"], when: () => !inForm() || !state.dirty, run: () => step(-1) },
    { keys: ["e"], run: () => (state.current ? select(state.current, { open: true }) : false) },
    { keys: ["m"], when: inForm, run: () => toggleMentionMode() },
    { keys: ["f"], when: inForm, run: () => stanceKey("favor") },
    { keys: ["a"], when: inForm, run: () => stanceKey("against") },
    { keys: ["0"], when: inForm, run: () => stanceKey("none") },
    { keys: DIGITS, when: inForm, run: (e) => chooseByDigit(Number(e.key)) },
    // Before J, K and E: Shift+letter is a reliability only where the scheme has that letter.
    { keys: LETTERS, when: (e) => inForm() && isReliabilityKey(e), run: (e) => chooseReliability(e.key) },
    { keys: ["r"], when: inForm, run: () => sameAsLast() },
    // The span of the open claim, a word at a time (before "]": next article, outside a form).
    { keys: ["["], when: inForm, run: () => moveBoundary("start", -1) },
    { keys: ["{"], when: inForm, run: () => moveBoundary("start", 1) },
    { keys: ["]"], when: inForm, run: () => moveBoundary("end", 1) },
    { keys: ["}"], when: inForm, run: () => moveBoundary("end", -1) },
    { keys: ["t"], when: inForm, run: () => nextTarget() },
    { keys: ["s"], when: inForm, run: () => document.getElementById("source-q")?.focus() },
    { keys: ["l"], when: inForm, run: () => focusChainSearch() },
    { keys: ["J"], when: () => !state.dirty, run: () => stepSuggestion(1) },
    { keys: ["K"], when: () => !state.dirty, run: () => stepSuggestion(-1) },
    { keys: ["y"], when: () => !inForm() || !state.dirty, run: () => answerSuggestion("accept") },
    { keys: ["E"], when: () => !inForm() || !state.dirty, run: () => answerSuggestion("edit") },
    { keys: ["x"], when: () => !inForm() || !state.dirty, run: () => answerSuggestion("dismiss") },
    // Delete only: Backspace is what a typist presses to fix a field, never a deletion.
    { keys: ["Delete"], outsideControls: true, run: () => deleteCurrent() },
    { keys: ["u"], run: () => (state.undo ? restore(state.undo) : false) },
    { keys: ["d"], run: () => click("#progress [data-action=done], #progress [data-action=reopen]") },
    { keys: ["]"], run: () => click("#progress [data-action=next]") },
    {
      keys: ["g"],
      run: () => {
        const details = document.querySelector(".ws-guidelines");
        if (!details) return false;
        details.open = !details.open;
        return true;
      },
    },
    { keys: ["?"], run: () => help.showModal() },
  ]);

  ctx.ws.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=help]")) help.showModal();
  });
}
