// Keyboard shortcuts: a table of bindings, ignored while the user types in a field.
//
// A binding is { keys: ["j", "ArrowDown"], run(event), inFields: false, mod: false }.
// `mod: true` means Ctrl or Cmd must be held (Ctrl+Enter); such bindings and those with
// `inFields: true` (Escape) also fire while typing. `outsideControls: true` (Delete) fires only
// when focus is in no form control at all (not even a radio button or a checkbox), so a key
// meant for a field never destroys anything. Keys are KeyboardEvent.key values.

const TEXT_INPUTS = new Set([
  "text", "search", "email", "url", "tel", "password", "number", "date", "datetime-local",
  "month", "time", "week",
]);

/** Whether the element takes typed text, so that letters must not trigger shortcuts. */
export function isTyping(element) {
  if (!element || !(element instanceof Element)) return false;
  if (element.isContentEditable) return true;
  const tag = element.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  return tag === "INPUT" && TEXT_INPUTS.has((element.getAttribute("type") || "text").toLowerCase());
}

/** Whether the element is a form control or editable (any input, select, textarea). */
export function isFormControl(element) {
  if (!element || !(element instanceof Element)) return false;
  return element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}

export function installShortcuts(bindings, root = document) {
  root.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const mod = event.ctrlKey || event.metaKey;
    const typing = isTyping(event.target);
    for (const binding of bindings) {
      if (!binding.keys.includes(event.key)) continue;
      if (Boolean(binding.mod) !== mod) continue;
      if (!binding.mod && event.altKey) continue;
      if (typing && !binding.mod && !binding.inFields) continue;
      if (binding.outsideControls && isFormControl(event.target)) continue;
      if (binding.when && !binding.when(event)) continue;
      const handled = binding.run(event);
      if (handled !== false) event.preventDefault();
      return;
    }
  });
}
