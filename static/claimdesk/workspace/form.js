// The claim form: open (new, edit), close, drafts that survive a reload, the first error
// in view, and the stance targets.

import { claimUrl, ctx, draftKey, form, state } from "./context.js";
import { select } from "./claims.js";
import { repaintIfChanged } from "./highlights.js";
import { drop, release } from "./held-keys.js";
import { say } from "./messages.js";
import { authorDefault, chooseSourceDisplay } from "./source-picker.js";

const LAST_TARGET = "claimdesk:last-target";

export function confirmDiscard() {
  if (!state.dirty) return true;
  say("Save (Ctrl+Enter) or close (Esc) the open claim first.");
  form()?.querySelector("button[type=submit]")?.focus();
  return false;
}

export function openNew(span) {
  if (!confirmDiscard()) return;
  state.pending = { start: span.start, end: span.end };
  state.mention = null;
  // Keys typed before the form arrives are the start of the source's name (keys.js).
  state.typed = "";
  repaintIfChanged();
  ctx.htmx.ajax("GET", ctx.ws.dataset.newUrl, {
    source: ctx.ws, target: "#claim-panel", swap: "innerHTML",
    values: { start: span.start, end: span.end, quote: span.quote },
  });
}

export function openEdit(row) {
  if (!confirmDiscard()) return;
  ctx.htmx.ajax("GET", claimUrl("edit", row), { source: ctx.ws, target: "#claim-panel", swap: "innerHTML" });
}

export function closeForm({ force = false } = {}) {
  const f = form();
  if (!f) return;
  if (state.dirty && !force && !window.confirm("Discard the changes to this claim?")) return;
  sessionStorage.removeItem(draftKey(f.dataset.draftKey));
  resetPanel();
}

function resetPanel() {
  state.dirty = false;
  state.pending = null;
  state.adjusted = null;
  state.mention = null;
  state.mentionMode = false;
  ctx.ws.classList.remove("picking-mention");
  ctx.panel.replaceChildren();
  const hint = document.createElement("p");
  hint.className = "panel-empty muted";
  hint.textContent = "Select words in the article to create a claim; click a highlight to edit one.";
  ctx.panel.append(hint);
  repaintIfChanged();
}

// --- drafts ---------------------------------------------------------------------------------

export function saveDraft() {
  const f = form();
  if (!f) return;
  const entries = [...new FormData(f)].filter(([name]) => !["q", "target_name"].includes(name));
  sessionStorage.setItem(draftKey(f.dataset.draftKey), JSON.stringify({
    entries,
    sourceName: document.getElementById("source-name")?.textContent || "",
    mentionQuote: document.getElementById("mention-quote")?.textContent || "",
    start: f.elements.start.value, end: f.elements.end.value, quote: f.elements.quote.value,
    version: f.elements.version?.value || "",
    claim: f.dataset.claimId || "",
  }));
}

/** The form changed: remember it (a draft) and keep it from being thrown away unasked. */
export function changed() {
  state.dirty = true;
  saveDraft();
}

export function readDraft(key) {
  try {
    return JSON.parse(sessionStorage.getItem(draftKey(key)) || "null");
  } catch {
    return null;
  }
}

const sameSpan = (draft, start, end) =>
  String(draft.start) === String(start) && String(draft.end) === String(end);
// A draft of an edit is that claim's at that version, whatever span it was given since.
const sameClaim = (draft, f) => Boolean(f.dataset.claimId) && draft.claim === f.dataset.claimId;

function fill(f, draft) {
  const skip = new Set(["start", "end", "quote", "version"]);
  const radios = new Set([...f.querySelectorAll("input[type=radio]")].map((r) => r.name));
  for (const name of radios) if (!draft.entries.some(([n]) => n === name)) f.elements[name].value = "";
  for (const [name, value] of draft.entries) {
    if (skip.has(name) || !f.elements[name]) continue;
    f.elements[name].value = value;
  }
  if (draft.sourceName && f.elements.source.value) chooseSourceDisplay(draft.sourceName);
  if (f.dataset.claimId && draft.start !== "" && !sameSpan(draft, f.elements.start.value, f.elements.end.value)) {
    // The span was being adjusted: the draft's span, still to be saved.
    f.elements.start.value = String(draft.start);
    f.elements.end.value = String(draft.end);
    f.elements.quote.value = draft.quote;
    const shown = f.querySelector(".form-quote");
    if (shown) shown.textContent = draft.quote;
    state.adjusted = { start: Number(draft.start), end: Number(draft.end) };
  }
  if (f.elements.mention_start?.value) {
    state.mention = { start: Number(f.elements.mention_start.value), end: Number(f.elements.mention_end.value) };
    document.getElementById("mention-quote").textContent = draft.mentionQuote;
  }
  state.dirty = true;
  say("Your unsaved draft of this claim was restored.");
}

// --- a form arrives -----------------------------------------------------------------------

function setupForm(f) {
  if (f.dataset.claimId || f.dataset.suggestionId) {
    state.typed = null;
    drop("form");
  }
  state.mentionMode = false;
  ctx.ws.classList.remove("picking-mention");
  const start = Number(f.dataset.start), end = Number(f.dataset.end);
  state.pending = f.dataset.claimId ? null : { start, end };
  state.adjusted = null;
  if (f.dataset.claimId) state.current = f.dataset.claimId;
  const ms = f.elements.mention_start?.value, me = f.elements.mention_end?.value;
  state.mention = ms && me ? { start: Number(ms), end: Number(me) } : null;
  const hasErrors = Boolean(f.querySelector(".form-errors"));
  const conflict = Boolean(f.querySelector("[data-conflict]"));
  // A form sent back with errors still holds the annotator's unsaved input.
  state.dirty = hasErrors;
  const draft = readDraft(f.dataset.draftKey);
  if (hasErrors) {
    saveDraft();
  } else if (draft && !conflict && (sameSpan(draft, start, end) || sameClaim(draft, f))
      && (draft.version || "") === (f.elements.version?.value || "")) {
    fill(f, draft);
  } else {
    sessionStorage.removeItem(draftKey(f.dataset.draftKey));
  }
  markTarget(f, Number(localStorage.getItem(LAST_TARGET)) || null);
  repaintIfChanged();
  const invalid = hasErrors && f.querySelector(".has-error");
  if (invalid) {
    // A failed save: the first invalid field in view and focused (the summary is above it).
    const field = invalid.querySelector("input:checked:not([type=hidden])")
      || invalid.querySelector("input:not([type=hidden]), select, textarea, button");
    field?.focus({ preventScroll: true });
    reveal(invalid, "center");
    keepSpanInView();
    drop("form");
    return;
  }
  if (!f.dataset.claimId) searchSource(state.typed);
  else f.querySelector("button[type=submit]")?.focus({ preventScroll: true });
  state.typed = null;
  reveal(f, "start");
  keepSpanInView();
  // Enter and the keys after it, typed while the form came (keys.js), in its search now.
  if (!f.dataset.claimId) release("form");
  else drop("form");
}

/** Focus the source search of a new claim, with what was typed while the form came. */
function searchSource(typed) {
  const input = document.getElementById("source-q");
  if (!input) return;
  input.focus({ preventScroll: true });
  if (!typed) return;
  input.value = typed;
  input.setSelectionRange(typed.length, typed.length);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/** The form's sheet on narrow screens (the panel, fixed over the lower screen), or null. */
export function sheet() {
  return getComputedStyle(ctx.panel).position === "fixed" ? ctx.panel : null;
}

/** Scroll what holds the element — the sheet (narrow screens), the side column (wide
 * screens) — to show it; never the page past the text. */
export function reveal(element, block) {
  const holder = sheet() || element.closest(".ws-side");
  if (holder && holder.scrollHeight > holder.clientHeight) {
    const box = holder.getBoundingClientRect(), rect = element.getBoundingClientRect();
    const top = rect.top - box.top + holder.scrollTop;
    const want = block === "center" ? top - (holder.clientHeight - rect.height) / 2 : top - 8;
    const inView = rect.top >= box.top && rect.bottom <= box.bottom;
    if (!inView) holder.scrollTop = Math.max(0, want);
  } else if (!sheet()) {
    element.scrollIntoView({ block: block === "center" ? "center" : "nearest" });
  }
}

/** On a narrow screen, the words of the open claim stay in view above the sheet. */
function keepSpanInView() {
  const over = sheet();
  const words = ctx.textEl.querySelector(".hl-pending, mark.current");
  if (!over || !words) return;
  const limit = over.getBoundingClientRect().top;
  const rect = words.getBoundingClientRect();
  if (rect.top >= 8 && rect.bottom <= limit - 8) return;
  window.scrollBy({ top: rect.top - Math.max(16, (limit - rect.height) / 3), behavior: "instant" });
}

// --- stance targets -----------------------------------------------------------------------

export function markTarget(f, targetId) {
  if (!f) return;
  const rowsOfTargets = [...f.querySelectorAll("#stance-table tr[data-target-id]")];
  if (!rowsOfTargets.length) return;
  const withStance = rowsOfTargets.find((r) => r.querySelector("input:checked:not([value=''])"));
  const chosen = rowsOfTargets.find((r) => Number(r.dataset.targetId) === targetId)
    || withStance || rowsOfTargets[0];
  for (const r of rowsOfTargets) r.classList.toggle("current-target", r === chosen);
}

export function setStance(value) {
  const f = form();
  const row = f?.querySelector("#stance-table tr.current-target");
  const input = row?.querySelector(`input[value="${value}"]`);
  if (!input) return false;
  input.checked = true;
  input.dispatchEvent(new Event("change", { bubbles: true }));
  return true;
}

export function nextTarget() {
  const f = form();
  const all = [...(f?.querySelectorAll("#stance-table tr[data-target-id]") || [])];
  if (!all.length) return false;
  const i = all.findIndex((r) => r.classList.contains("current-target"));
  markTarget(f, Number(all[(i + 1) % all.length].dataset.targetId));
  return true;
}

// --- events -------------------------------------------------------------------------------

export function installForm() {
  const { panel } = ctx;
  panel.addEventListener("input", (event) => {
    if (event.target.matches("#source-q, #target-name")) return;
    changed();
  });
  panel.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("#source-q, #target-name")) return;
    if (target.name === "attribution" && target.checked) authorDefault(target);
    const row = target.closest("tr[data-target-id]");
    if (row) markTarget(form(), Number(row.dataset.targetId));
    changed();
  });
  panel.addEventListener("focusin", (event) => {
    const row = event.target.closest("#stance-table tr[data-target-id]");
    if (row) markTarget(form(), Number(row.dataset.targetId));
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey) return;
    if (event.target.id === "target-name") {
      event.preventDefault();
      panel.querySelector("[data-action=add-target]")?.click();
    } else if (event.target.matches("input[type=text], input[type=radio]")) {
      event.preventDefault(); // Enter never submits half a claim: Ctrl+Enter does
    }
  });
  panel.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=close]")) closeForm();
  });

  document.body.addEventListener("htmx:afterSettle", (event) => {
    const f = form();
    if (!f && event.detail.target === panel) {
      state.typed = null; // no form came: keys are keys again
      drop("form");
    }
    if (f && !f.dataset.ready) {
      f.dataset.ready = "1";
      setupForm(f);
    } else if (!f && (state.pending || state.dirty)) {
      // The panel was replaced by something that is not a form (saved, or an error).
      state.pending = null;
      state.adjusted = null;
      state.mention = null;
      state.dirty = false;
      repaintIfChanged();
    }
    const newTarget = document.querySelector("#stance-table tr[data-new-target]");
    if (newTarget && f) {
      newTarget.removeAttribute("data-new-target");
      markTarget(f, Number(newTarget.dataset.targetId));
      newTarget.querySelector("input")?.focus();
    }
  });

  document.body.addEventListener("claimdesk:saved", (event) => {
    const f = form();
    const key = f?.dataset.draftKey || (event.detail.created ? "new" : String(event.detail.id));
    sessionStorage.removeItem(draftKey(key));
    sessionStorage.removeItem(draftKey("new"));
    state.dirty = false;
    state.pending = null;
    state.adjusted = null;
    state.mention = null;
    state.current = String(event.detail.id);
    requestAnimationFrame(() => select(event.detail.id, { scroll: true }));
  });

  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const f = form();
    const intoPanel = event.detail.target === panel && event.detail.requestConfig?.verb === "get";
    if (intoPanel && state.dirty) {
      // Opening another claim would throw away the open form's unsaved changes.
      event.preventDefault();
      say("Save (Ctrl+Enter) or close (Esc) the open claim first.");
      return;
    }
    if (!f || event.detail.elt !== f) return;
    // Remember the target the annotator just used: the next claim starts from it.
    const chosen = [...f.querySelectorAll("#stance-table tr[data-target-id]")].find((row) =>
      row.querySelector("input[type=radio]:checked:not([value=''])"));
    if (chosen) localStorage.setItem(LAST_TARGET, chosen.dataset.targetId);
  });

  for (const failed of ["htmx:responseError", "htmx:sendError"]) {
    document.body.addEventListener(failed, () => {
      state.typed = null;
      drop("form");
    });
  }

  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) {
      saveDraft();
      event.preventDefault();
      event.returnValue = "";
    }
  });
}
