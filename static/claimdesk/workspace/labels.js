// A key for every field of the scheme, and "same labels as my last claim".
//
// - A digit n picks the n-th value of the field that has focus (the options show their
//   digit); with focus in no field, a digit is the information credibility of that code.
// - Shift+letter picks the source reliability of that letter (A–F), from anywhere in the form.
// - f / a / 0 set the stance toward the current target (form.js), t moves to the next target.
// - A key that sets a field moves the focus to the next field, then to Save: source, Enter,
//   then one key per field and Ctrl+Enter make a claim.
// - r copies the labels of my last saved claim (attribution, stances, reliability,
//   credibility, type, check-worthiness; never the source, mention or note). The page
//   carries them (data-last-labels, from the server), and every save updates them.

import { ctx, form } from "./context.js";
import { changed, setStance } from "./form.js";
import { say } from "./messages.js";

const FIELDS = "fieldset.choice[data-field], #stance-table";
const LABEL_FIELDS = ["attribution", "source_reliability", "information_credibility", "claim_type", "checkworthy"];

const fieldNamed = (name) => form()?.querySelector(`fieldset.choice[data-field="${name}"]`);

function fieldOf(element) {
  const field = element?.closest?.(FIELDS);
  return field && form()?.contains(field) ? field : null;
}

/** The radio buttons a digit counts through: the current target's row in the stance table. */
function optionsOf(field) {
  if (field.id === "stance-table") {
    const row = field.querySelector("tr.current-target") || field.querySelector("tr[data-target-id]");
    return row ? [...row.querySelectorAll("input[type=radio]")] : [];
  }
  return [...field.querySelectorAll("input[type=radio]")];
}

function check(input) {
  input.checked = true;
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

/** Focus the field after this one (its chosen value, or its first), or Save after the last. */
export function advance(field) {
  const f = form();
  if (!f) return;
  const all = [...f.querySelectorAll(FIELDS)];
  const next = all[all.indexOf(field) + 1];
  const target = next
    ? optionsOf(next).find((input) => input.checked) || optionsOf(next)[0]
    : f.querySelector("button[type=submit]");
  target?.focus({ preventScroll: true });
  target?.scrollIntoView({ block: "nearest" });
}

export function chooseByDigit(n) {
  const f = form();
  if (!f) return false;
  let field = fieldOf(document.activeElement);
  let input;
  if (field) {
    input = optionsOf(field)[n - 1];
  } else {
    field = fieldNamed("information_credibility");
    input = field && (field.querySelector(`input[value="${n}"]`) || optionsOf(field)[n - 1]);
  }
  if (!input) return false;
  check(input);
  advance(field);
  return true;
}

const reliabilityInput = (letter) =>
  [...(fieldNamed("source_reliability")?.querySelectorAll("input[type=radio]") || [])]
    .find((input) => input.value.length === 1 && input.value.toUpperCase() === letter);

/** Whether Shift+this letter picks a reliability in the open form (J, K, E stay free otherwise). */
export const isReliabilityKey = (event) => event.shiftKey && Boolean(reliabilityInput(event.key));

export function chooseReliability(letter) {
  const input = reliabilityInput(letter);
  if (!input) return false;
  check(input);
  advance(fieldNamed("source_reliability"));
  return true;
}

/** f / a / 0: the stance toward the current target, then on to the next field. */
export function stanceKey(value) {
  if (!setStance(value)) return false;
  advance(form().querySelector("#stance-table"));
  return true;
}

// --- same as my last claim ------------------------------------------------------------------

function lastLabels() {
  try {
    return JSON.parse(ctx.ws.dataset.lastLabels || "{}") || {};
  } catch {
    return {};
  }
}

export function sameAsLast() {
  const f = form();
  if (!f) return false;
  const labels = lastLabels();
  if (!Object.keys(labels).length) {
    say("You have no saved claim in this project yet: nothing to copy.");
    return true;
  }
  for (const name of LABEL_FIELDS) {
    const value = labels[name] || "";
    const input = f.querySelector(`input[type=radio][name="${name}"][value="${CSS.escape(value)}"]`);
    if (input) input.checked = true;
    else for (const radio of f.querySelectorAll(`input[type=radio][name="${name}"]`)) radio.checked = false;
  }
  const stances = labels.stances || {};
  for (const row of f.querySelectorAll("#stance-table tr[data-target-id]")) {
    const value = stances[row.dataset.targetId] || "";
    const input = row.querySelector(`input[value="${CSS.escape(value)}"]`);
    if (input) input.checked = true;
  }
  changed();
  say(`Labels of your last claim: ${ctx.ws.dataset.lastSummary || "copied"}.`);
  f.querySelector("button[type=submit]")?.focus({ preventScroll: true });
  return true;
}

export function installLabels() {
  document.body.addEventListener("claimdesk:saved", (event) => {
    const { labels, summary } = event.detail;
    if (!labels) return;
    ctx.ws.dataset.lastLabels = JSON.stringify(labels);
    ctx.ws.dataset.lastSummary = summary || "";
    const shown = document.getElementById("last-labels");
    if (shown) shown.textContent = summary || "none yet";
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    const button = form()?.querySelector("[data-action=same-as-last]");
    if (button) button.hidden = !Object.keys(lastLabels()).length;
  });
  ctx.panel.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=same-as-last]")) sameAsLast();
  });
}
