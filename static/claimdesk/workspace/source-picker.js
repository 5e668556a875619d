// The source picker of the claim form: a combobox over the registry (names, aliases,
// near misses), and the deliberate creation of a new source.

import { ctx, form } from "./context.js";
import { changed, sheet } from "./form.js";
import { drop, hold, release } from "./held-keys.js";
import { say } from "./messages.js";

const options = () => [...document.querySelectorAll("#source-options [role=option]")];

// The search asks the server at every letter, without waiting for a pause: a letter typed
// while a search is in flight queues one search for the latest text (hx-sync "queue last";
// aborting the one in flight would log htmx errors), so the options are the last letter's
// a request or two after it. Enter pressed while that answer is on its way picks the
// first of the new options when they arrive, not one of the previous letter's; the keys
// typed after that Enter (the labels: 2 a Shift+B 2 2 Ctrl+Enter) are held until the pick
// and then go to the fields after the source (held-keys.js).
let chooseWhenSettled = false;
let searching = 0; // the searches in flight (htmx:beforeRequest to htmx:afterRequest)
let answered = null; // the text the options shown were found for

function syncOptions() {
  const list = document.getElementById("source-options");
  const input = document.getElementById("source-q");
  if (!list || !input) return;
  const open = !list.hidden && options().length > 0;
  input.setAttribute("aria-expanded", String(open));
  const active = options().find((o) => o.getAttribute("aria-selected") === "true");
  if (active) input.setAttribute("aria-activedescendant", active.id);
  else input.removeAttribute("aria-activedescendant");
}

/** On a phone the form is a sheet over the lower half of the screen, with the source
 * field low in it: its options opened below the sheet's edge (one and a bit in view).
 * The sheet scrolls the search up to its top while options are shown. */
function optionsInSheet() {
  const panel = sheet();
  const input = document.getElementById("source-q");
  const list = document.getElementById("source-options");
  if (!panel || !input || !list || list.hidden || !options().length) return;
  if (list.getBoundingClientRect().bottom <= panel.getBoundingClientRect().bottom) return;
  panel.scrollTop += input.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
}

function moveOption(step) {
  const all = options();
  if (!all.length) return;
  let i = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
  i = (i + step + all.length) % all.length;
  all.forEach((o, k) => o.setAttribute("aria-selected", String(k === i)));
  all[i].scrollIntoView({ block: "nearest" });
  syncOptions();
}

// ``proposed``: the source awaits a curator's confirmation (marked beside its name).
export function chooseSourceDisplay(name, proposed = false) {
  document.getElementById("source-name").textContent = name;
  const mark = document.getElementById("source-proposed");
  if (mark) mark.hidden = !proposed;
  document.getElementById("source-chosen").hidden = false;
}

function hideResults() {
  const list = document.getElementById("source-options");
  if (list) {
    list.hidden = true;
    list.replaceChildren();
  }
  const results = document.getElementById("source-results");
  if (results) results.hidden = true;
  syncOptions();
}

function chooseOption(option) {
  document.getElementById("source-id").value = option.dataset.sourceId;
  chooseSourceDisplay(option.dataset.sourceName, "sourceProposed" in option.dataset);
  const input = document.getElementById("source-q");
  input.value = "";
  hideResults();
  closeNewSource();
  changed();
  focusAfterSource();
}

// A new source is a deliberate act: Alt+Enter in the search (or the "New source…"
// button) opens a confirmation with the closest existing names; its Create button has
// focus, so Enter there adds the source. No option of the list ever creates one.
function openNewSource() {
  const picker = document.getElementById("source-picker");
  const name = document.getElementById("source-q")?.value.trim();
  if (!picker || !name) return;
  ctx.htmx.ajax("GET", picker.dataset.confirmUrl, {
    source: picker, target: "#source-confirm", swap: "outerHTML", values: { q: name },
  }).then(() => {
    hideResults();
    document.querySelector("#source-confirm [data-autofocus]")?.focus();
  });
}

function closeNewSource(refocus) {
  const confirm = document.getElementById("source-confirm");
  if (confirm) {
    confirm.replaceChildren();
    confirm.className = "";
  }
  if (refocus) document.getElementById("source-q")?.focus();
}

function createSource(name) {
  const picker = document.getElementById("source-picker");
  ctx.htmx.ajax("POST", picker.dataset.createUrl, {
    source: picker, target: "#source-picker", swap: "outerHTML",
    values: { name, kind: document.getElementById("source-new-kind")?.value || "person" },
  }).then(() => {
    changed();
    if (document.getElementById("source-id")?.value) focusAfterSource();
    else document.getElementById("source-q")?.focus();
  });
}

/** After the source, the attribution: the next field to decide. */
function focusAfterSource() {
  const f = form();
  const attribution = f?.querySelector("input[name=attribution]:checked")
    || f?.querySelector("input[name=attribution]");
  attribution?.focus();
}

/** Attribution "Author" with no source yet: the byline author is the source. */
export function authorDefault(radio) {
  const id = radio.dataset.bylineSourceId;
  const sourceId = document.getElementById("source-id");
  if (radio.value !== "author" || !id || !sourceId || sourceId.value) return;
  sourceId.value = id;
  chooseSourceDisplay(radio.dataset.bylineSourceName);
  say(`Source set to the byline author, ${radio.dataset.bylineSourceName}.`);
}

/** Enter was pressed while the last letter's options were on their way: once no search
 * is in flight, pick the first of them. */
function chooseArrived() {
  // htmx tells afterRequest before it sends a queued search: wait for the current text's.
  const text = document.getElementById("source-q")?.value;
  if (!chooseWhenSettled || searching > 0 || answered !== text) return;
  chooseWhenSettled = false;
  const active = options().find((o) => o.getAttribute("aria-selected") === "true");
  if (active && !document.getElementById("source-options")?.hidden) {
    document.getElementById("source-q")?.removeAttribute("aria-busy");
    chooseOption(active);
    release("source");
  } else {
    pickFailed(`No source matches “${text}”`);
  }
}

/** The pick Enter asked for cannot be made: the keys held since are not used. */
function pickFailed(why) {
  chooseWhenSettled = false;
  document.getElementById("source-q")?.removeAttribute("aria-busy");
  const lost = drop("source");
  if (lost) say(`${why}: the ${lost === 1 ? "key" : `${lost} keys`} typed after Enter went nowhere.`);
  else say(`${why}.`);
}

/** Enter while the options are on their way: pick when they come, keep the keys till then. */
function pickWhenSettled() {
  chooseWhenSettled = true;
  document.getElementById("source-q")?.setAttribute("aria-busy", "true");
  hold("source", {
    escape: () => pickFailed("Source not picked"),
    expired: () => pickFailed("The source search did not answer"),
  });
}

export function installSourcePicker() {
  const { panel } = ctx;
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest("#source-confirm")) {
      event.preventDefault();
      event.stopPropagation();
      closeNewSource(true);
      return;
    }
    if (event.target.id !== "source-q") return;
    if (event.key !== "Enter") chooseWhenSettled = false;
    const list = document.getElementById("source-options");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveOption(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      if (document.querySelector("#source-results [data-action=new-source]")) openNewSource();
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      if (searching > 0) {
        event.preventDefault();
        event.stopPropagation();
        pickWhenSettled();
        return;
      }
      const active = options().find((o) => o.getAttribute("aria-selected") === "true");
      if (active && list && !list.hidden) {
        event.preventDefault();
        event.stopPropagation();
        chooseOption(active);
      }
    } else if (event.key === "Escape" && !document.getElementById("source-results")?.hidden) {
      event.preventDefault();
      event.stopPropagation();
      hideResults();
    }
  }, true);

  panel.addEventListener("click", (event) => {
    const option = event.target.closest("#source-options [role=option]");
    if (option) {
      chooseOption(option);
      return;
    }
    const button = event.target.closest("[data-action]");
    const action = button?.dataset.action;
    if (action === "new-source") openNewSource();
    else if (action === "create-source") createSource(button.dataset.name);
    else if (action === "pick-source") chooseOption(button);
    else if (action === "cancel-new-source") closeNewSource(true);
    else if (action === "clear-source") {
      document.getElementById("source-id").value = "";
      document.getElementById("source-chosen").hidden = true;
      document.getElementById("source-q").focus();
      changed();
    }
  });

  document.body.addEventListener("htmx:afterSettle", () => {
    syncOptions();
    chooseArrived();
  });
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt?.id === "source-q") searching += 1;
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt?.id !== "source-q") return;
    searching = Math.max(0, searching - 1);
    try {
      answered = new URL(event.detail.xhr.responseURL).searchParams.get("q");
    } catch {
      answered = null;
    }
    // A search that failed leaves nothing to choose.
    if (!event.detail.successful && chooseWhenSettled) {
      pickFailed("The source search failed");
      return;
    }
    // With the page's settle delay of 0 the options are in place before this event.
    optionsInSheet();
    chooseArrived();
  });
}
