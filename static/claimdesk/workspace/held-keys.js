// Keys held while the page catches up, then replayed: a fast typist loses nothing.
//
// Enter in the source search while the last letter's options are on their way picks when
// they arrive (source-picker.js); the label keys typed in that window belong to the fields
// after the source, not to the search box. `hold` starts keeping every key pressed (they do
// nothing yet), `release` replays them in order to whatever has focus then, as the
// shortcuts and the fields would have taken them; `drop` forgets them (the pick failed).
// A replayed key that starts another hold (Enter in a search still in flight) keeps the
// keys after it for that one.

import { isTyping } from "../shortcuts.js";

const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock"]);
const LONGEST = 8000; // ms: a hold the page never ends gives the keyboard back

const queue = [];
let holder = null; // {name, escape, timer}

export const holding = (name) => holder !== null && (name === undefined || holder.name === name);

/** Keep the keys from now on. ``escape`` runs on Escape, ``expired`` when the hold lasts
 * too long: both before the keys are forgotten (``drop`` there tells how many). */
export function hold(name, { escape = null, expired = null } = {}) {
  if (holder) clearTimeout(holder.timer);
  const timer = setTimeout(() => {
    if (holder?.name !== name) return;
    expired?.();
    drop(name);
  }, LONGEST);
  holder = { name, escape, timer };
}

/** End the hold and replay the keys kept. */
export function release(name) {
  if (!holding(name)) return;
  clearTimeout(holder.timer);
  holder = null;
  while (!holder && queue.length) replay(queue.shift());
}

/** End the hold and forget the keys kept; how many they were. */
export function drop(name) {
  if (!holding(name)) return 0;
  clearTimeout(holder.timer);
  holder = null;
  const lost = queue.length;
  queue.length = 0;
  return lost;
}

/** Keep this key for the hold that is starting (the key that starts it, e.g. Enter). */
export function keep(event) {
  queue.push(snapshot(event));
}

function snapshot(event) {
  const { key, code, shiftKey, ctrlKey, altKey, metaKey } = event;
  return { key, code, shiftKey, ctrlKey, altKey, metaKey };
}

function onKey(event) {
  if (!holder || !event.isTrusted || event.isComposing) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  // Shift alone is no key of its own: the key it modifies carries it.
  if (MODIFIERS.has(event.key)) return;
  if (event.key === "Escape" && holder.escape) {
    const { escape, name } = holder;
    escape();
    drop(name);
    return;
  }
  queue.push(snapshot(event));
}

// --- replay ---------------------------------------------------------------------------------

function replay(key) {
  const target = document.activeElement || document.body;
  const event = new KeyboardEvent("keydown", { ...key, bubbles: true, cancelable: true, composed: true });
  // The page's own handlers first (the shortcuts, the fields' keys); what none of them
  // took does what the browser would have done.
  if (target.dispatchEvent(event)) browserDefault(target, key);
}

function browserDefault(target, key) {
  const plain = !key.ctrlKey && !key.metaKey && !key.altKey;
  if (isTyping(target) && "setRangeText" in target && plain) {
    const { selectionStart: from, selectionEnd: to } = target;
    if (key.key.length === 1) {
      target.setRangeText(key.key, from, to, "end");
    } else if (key.key === "Backspace" && (from > 0 || to > from)) {
      target.setRangeText("", from === to ? from - 1 : from, to, "end");
    } else {
      tabOrClick(target, key);
      return;
    }
    target.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: key.key }));
    return;
  }
  if (target.matches?.("input[type=radio]") && plain && key.key.startsWith("Arrow")) {
    const group = [...(target.form || document).querySelectorAll(`input[type=radio][name="${CSS.escape(target.name)}"]`)];
    const step = key.key === "ArrowDown" || key.key === "ArrowRight" ? 1 : -1;
    const next = group[(group.indexOf(target) + step + group.length) % group.length];
    next.focus();
    next.checked = true;
    next.dispatchEvent(new Event("change", { bubbles: true }));
    return;
  }
  tabOrClick(target, key);
}

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

function tabOrClick(target, key) {
  if (key.key === "Tab" && !key.ctrlKey && !key.metaKey && !key.altKey) {
    const all = [...document.querySelectorAll(FOCUSABLE)].filter((el) => {
      if (!el.getClientRects().length) return false;
      // A radio group is one stop: its checked button, or its first.
      if (el.matches("input[type=radio]")) {
        const group = [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)];
        return el === (group.find((r) => r.checked) || group[0]);
      }
      return true;
    });
    const next = all[all.indexOf(target) + (key.shiftKey ? -1 : 1)];
    next?.focus();
  } else if ((key.key === "Enter" || key.key === " ") && target.matches?.("button, input[type=radio], input[type=checkbox], a[href]")) {
    if (key.key === "Enter" && target.matches("input")) return;
    target.click();
  }
}

export function installHeldKeys() {
  // Before every other key handler of the page (theirs are on the document or below).
  window.addEventListener("keydown", onKey, true);
}
