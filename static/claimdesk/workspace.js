// The annotation workspace: highlights of my claims, text selection -> claim form,
// source autocomplete, drafts that survive a reload, toasts with Undo, and shortcuts.
//
// The server renders the article text as the only content of #article-text and my claims
// as rows of #claim-rows (data-start/data-end are code-point offsets). Highlights are
// built here from those rows: the text is cut at every claim boundary and each piece
// that some claims cover becomes a <mark> holding exactly that piece (textContent, never
// innerHTML), so the container's text stays the article text (offsets.js contract).

import { OffsetMap, offsetsToRange, rangeToOffsets, snapToWords } from "./offsets.js";
import { installShortcuts } from "./shortcuts.js";

const PALETTE = [
  "#2f6fd0", "#d0742f", "#2f9d5b", "#b23a8f", "#8a6d1d", "#1f9aa8", "#c2413a", "#6a4fc9",
];
const DRAFT_PREFIX = "claimdesk:draft:";
const LAST_TARGET = "claimdesk:last-target";
const NO_WORDS = "That selection holds no words: select at least one word.";

const workspace = document.getElementById("workspace");
if (workspace) start(workspace);

function start(ws) {
  const htmx = window.htmx;
  const textEl = document.getElementById("article-text");
  const panel = document.getElementById("claim-panel");
  const message = document.getElementById("ws-message");
  const toasts = document.getElementById("toasts");
  const help = document.getElementById("help");
  const TEXT = textEl.textContent;
  const map = new OffsetMap(TEXT);
  const articleId = ws.dataset.article;
  const state = {
    current: null, // id of the selected claim
    dirty: false, // the open form has unsaved changes
    pending: null, // {start, end} of the claim being created
    mention: null, // {start, end} of the mention picked in the open form
    mentionMode: false,
    undo: null, // URL restoring the last deleted claim
    suggestion: null, // id of the current suggestion
    suggestionIndex: 0, // its place in the list, to move on after accept or dismiss
    signature: "",
  };

  // --- highlights -----------------------------------------------------------------------

  const colour = (id) => PALETTE[Number(id) % PALETTE.length];
  const rows = () => [...document.querySelectorAll("#claim-rows > li[data-claim-id]")];
  const rowOf = (id) => document.getElementById(`claim-row-${id}`);
  // Rows carry only their claim's id: the list holds each endpoint once, "{id}" in it.
  const claimUrl = (kind, row) =>
    document.getElementById("claim-rows").dataset[`${kind}Url`].replace("{id}", row.dataset.claimId);
  const claims = () =>
    rows().map((row) => ({
      id: row.dataset.claimId,
      start: Number(row.dataset.start),
      end: Number(row.dataset.end),
      summary: row.dataset.summary || "",
    }));

  // Suggestions: rows of #suggestion-rows, shown as dashed outlines (never as claims).
  const suggestionRows = () => [...document.querySelectorAll("#suggestion-rows > li[data-suggestion-id]")];
  const suggestionRowOf = (id) => document.getElementById(`suggestion-row-${id}`);

  function paint() {
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
    if (state.mention) overlays.push({ ...state.mention, cls: "hl-mention" });
    const points = new Set([0, map.length]);
    for (const span of [...list, ...overlays]) {
      points.add(span.start);
      points.add(span.end);
    }
    const cuts = [...points].filter((p) => p >= 0 && p <= map.length).sort((a, b) => a - b);
    const fragment = document.createDocumentFragment();
    for (let i = 0; i < cuts.length - 1; i++) {
      const a = cuts[i], b = cuts[i + 1];
      const piece = TEXT.slice(map.toUtf16(a), map.toUtf16(b));
      const covering = list.filter((c) => c.start <= a && c.end >= b);
      const over = overlays.filter((o) => o.start <= a && o.end >= b);
      const extra = over.flatMap((o) => o.cls.split(" "));
      const suggested = over.filter((o) => o.suggestion).map((o) => o.suggestion);
      if (!covering.length && !extra.length) {
        fragment.append(document.createTextNode(piece));
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
    }
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

  function signature() {
    const current = [state.current, JSON.stringify(state.pending), JSON.stringify(state.mention),
      `s${state.suggestion}`];
    return rows().map((r) => `${r.dataset.claimId}:${r.dataset.start}:${r.dataset.end}:${r.dataset.summary}`)
      .concat(suggestionRows().map((r) => `s${r.dataset.suggestionId}`))
      .concat(current).join("|");
  }

  function repaintIfChanged() {
    keepSuggestion();
    const now = signature();
    if (now !== state.signature) {
      state.signature = now;
      paint();
    }
  }

  new MutationObserver(() => requestAnimationFrame(repaintIfChanged)).observe(
    document.querySelector(".ws-side"),
    { childList: true, subtree: true, attributes: true, attributeFilter: ["data-start", "data-end", "data-summary"] },
  );

  /** After an accept or dismiss the current suggestion leaves the list: take the next. */
  function keepSuggestion() {
    if (state.suggestion === null || suggestionRowOf(state.suggestion)) return;
    const all = suggestionRows();
    state.suggestion = all.length
      ? all[Math.min(state.suggestionIndex, all.length - 1)].dataset.suggestionId : null;
  }

  function selectSuggestion(id, { scroll = true } = {}) {
    state.suggestion = id ? String(id) : null;
    const all = suggestionRows();
    state.suggestionIndex = Math.max(0, all.findIndex((r) => r.dataset.suggestionId === state.suggestion));
    repaintIfChanged();
    const row = id && suggestionRowOf(id);
    if (row && scroll) {
      row.scrollIntoView({ block: "nearest" });
      textEl.querySelector(".current-suggestion")?.scrollIntoView({ block: "center", behavior: "smooth" });
    }
    return Boolean(row);
  }

  function stepSuggestion(delta) {
    const all = suggestionRows();
    if (!all.length) return false;
    const i = all.findIndex((r) => r.dataset.suggestionId === state.suggestion);
    const next = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(Math.max(i + delta, 0), all.length - 1);
    return selectSuggestion(all[next].dataset.suggestionId);
  }

  function answerSuggestion(kind) {
    const row = state.suggestion && suggestionRowOf(state.suggestion);
    if (!row) {
      say("No suggestion chosen: Shift+J goes to the next one.");
      return false;
    }
    if (kind !== "dismiss" && !confirmDiscard()) return true;
    if (kind === "accept") {
      htmx.ajax("POST", row.dataset.acceptUrl, { source: ws, target: "#claim-panel", swap: "innerHTML" });
    } else if (kind === "edit") {
      htmx.ajax("GET", row.dataset.editUrl, { source: ws, target: "#claim-panel", swap: "innerHTML" });
    } else {
      htmx.ajax("POST", row.dataset.dismissUrl, { source: ws, target: "#suggestion-list", swap: "outerHTML" });
    }
    return true;
  }

  function select(id, { open = false, scroll = true } = {}) {
    state.current = id ? String(id) : null;
    repaintIfChanged();
    const row = id && rowOf(id);
    if (!row) return;
    if (scroll) {
      row.scrollIntoView({ block: "nearest" });
      textEl.querySelector("mark.current")?.scrollIntoView({ block: "center", behavior: "smooth" });
    }
    if (open) openEdit(row);
  }

  // --- messages and toasts --------------------------------------------------------------

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
    clearTimeout(say.timer);
    if (text) say.timer = setTimeout(() => (message.hidden = true), 5000);
  }

  function toast(text, undo = "") {
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    const label = document.createElement("span");
    label.textContent = text;
    item.append(label);
    if (undo) {
      state.undo = undo;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = "Undo";
      button.dataset.action = "undo";
      button.addEventListener("click", () => {
        restore(undo);
        item.remove();
      });
      item.append(button);
    }
    toasts.append(item);
    setTimeout(() => item.remove(), undo ? 12000 : 4000);
  }

  function restore(url) {
    if (!url) return;
    state.undo = null;
    htmx.ajax("POST", url, { source: ws, target: "#claim-list", swap: "outerHTML" });
  }

  document.body.addEventListener("claimdesk:toast", (event) => {
    toast(event.detail.message, event.detail.undo || "");
  });
  document.body.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    toast(status === 404 ? "Not found: reload the page." : `The server answered ${status}; nothing was saved.`);
  });
  document.body.addEventListener("htmx:sendError", () => toast("The server can't be reached; nothing was saved."));

  // --- the form: open, close, drafts ----------------------------------------------------

  const form = () => document.getElementById("claim-form");
  const draftKey = (key) => `${DRAFT_PREFIX}${articleId}:${key}`;

  function confirmDiscard() {
    if (!state.dirty) return true;
    say("Save (Ctrl+Enter) or close (Esc) the open claim first.");
    form()?.querySelector("button[type=submit]")?.focus();
    return false;
  }

  function openNew(span) {
    if (!confirmDiscard()) return;
    state.pending = { start: span.start, end: span.end };
    state.mention = null;
    repaintIfChanged();
    htmx.ajax("GET", ws.dataset.newUrl, {
      source: ws, target: "#claim-panel", swap: "innerHTML",
      values: { start: span.start, end: span.end, quote: span.quote },
    });
  }

  function openEdit(row) {
    if (!confirmDiscard()) return;
    htmx.ajax("GET", claimUrl("edit", row), { source: ws, target: "#claim-panel", swap: "innerHTML" });
  }

  function closeForm({ force = false } = {}) {
    const f = form();
    if (!f) return;
    if (state.dirty && !force && !window.confirm("Discard the changes to this claim?")) return;
    sessionStorage.removeItem(draftKey(f.dataset.draftKey));
    resetPanel();
  }

  function resetPanel() {
    state.dirty = false;
    state.pending = null;
    state.mention = null;
    state.mentionMode = false;
    ws.classList.remove("picking-mention");
    panel.replaceChildren();
    const hint = document.createElement("p");
    hint.className = "panel-empty muted";
    hint.textContent = "Select words in the article to create a claim; click a highlight to edit one.";
    panel.append(hint);
    repaintIfChanged();
  }

  function saveDraft() {
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

  function readDraft(key) {
    try {
      return JSON.parse(sessionStorage.getItem(draftKey(key)) || "null");
    } catch {
      return null;
    }
  }

  function fill(f, draft) {
    const skip = new Set(["start", "end", "quote", "version"]);
    const radios = new Set([...f.querySelectorAll("input[type=radio]")].map((r) => r.name));
    for (const name of radios) if (!draft.entries.some(([n]) => n === name)) f.elements[name].value = "";
    for (const [name, value] of draft.entries) {
      if (skip.has(name) || !f.elements[name]) continue;
      f.elements[name].value = value;
    }
    if (draft.sourceName && f.elements.source.value) chooseSourceDisplay(draft.sourceName);
    if (f.elements.mention_start?.value) {
      state.mention = { start: Number(f.elements.mention_start.value), end: Number(f.elements.mention_end.value) };
      document.getElementById("mention-quote").textContent = draft.mentionQuote;
    }
    state.dirty = true;
    say("Your unsaved draft of this claim was restored.");
  }

  function setupForm(f) {
    state.mentionMode = false;
    ws.classList.remove("picking-mention");
    const start = Number(f.dataset.start), end = Number(f.dataset.end);
    state.pending = f.dataset.claimId ? null : { start, end };
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
    } else if (draft && !conflict && String(draft.start) === String(start)
        && String(draft.end) === String(end)
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
      return;
    }
    if (!f.dataset.claimId) document.getElementById("source-q")?.focus({ preventScroll: true });
    else f.querySelector("button[type=submit]")?.focus({ preventScroll: true });
    reveal(f, "start");
  }

  /** Scroll the side column (when it scrolls: wide screens) to show the element; on narrow
   * screens, where the column is part of the page, scroll the page. */
  function reveal(element, block) {
    const side = element.closest(".ws-side");
    if (side && side.scrollHeight > side.clientHeight) {
      const box = side.getBoundingClientRect(), rect = element.getBoundingClientRect();
      const top = rect.top - box.top + side.scrollTop;
      const want = block === "center" ? top - (side.clientHeight - rect.height) / 2 : top - 8;
      const inView = rect.top >= box.top && rect.bottom <= box.bottom;
      if (!inView) side.scrollTop = Math.max(0, want);
    } else {
      element.scrollIntoView({ block: block === "center" ? "center" : "nearest" });
    }
  }

  panel.addEventListener("input", (event) => {
    if (event.target.matches("#source-q, #target-name")) return;
    state.dirty = true;
    saveDraft();
  });
  panel.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("#source-q, #target-name")) return;
    if (target.name === "attribution" && target.checked) authorDefault(target);
    const row = target.closest("tr[data-target-id]");
    if (row) markTarget(form(), Number(row.dataset.targetId));
    state.dirty = true;
    saveDraft();
  });

  document.body.addEventListener("htmx:afterSettle", () => {
    // Settling puts back the attributes a swapped row came with: mark the current again.
    keepSuggestion();
    for (const row of suggestionRows()) {
      row.classList.toggle("current", row.dataset.suggestionId === state.suggestion);
    }
    const f = form();
    if (f && !f.dataset.ready) {
      f.dataset.ready = "1";
      setupForm(f);
    } else if (!f && (state.pending || state.dirty)) {
      // The panel was replaced by something that is not a form (saved, or an error).
      state.pending = null;
      state.mention = null;
      state.dirty = false;
      repaintIfChanged();
    }
    syncOptions();
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

  window.addEventListener("beforeunload", (event) => {
    if (state.dirty) {
      saveDraft();
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- stance targets ---------------------------------------------------------------------

  function markTarget(f, targetId) {
    if (!f) return;
    const rowsOfTargets = [...f.querySelectorAll("#stance-table tr[data-target-id]")];
    if (!rowsOfTargets.length) return;
    const withStance = rowsOfTargets.find((r) => r.querySelector("input:checked:not([value=''])"));
    const chosen = rowsOfTargets.find((r) => Number(r.dataset.targetId) === targetId)
      || withStance || rowsOfTargets[0];
    for (const r of rowsOfTargets) r.classList.toggle("current-target", r === chosen);
  }

  function setStance(value) {
    const f = form();
    const row = f?.querySelector("#stance-table tr.current-target");
    const input = row?.querySelector(`input[value="${value}"]`);
    if (!input) return false;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function nextTarget() {
    const f = form();
    const all = [...(f?.querySelectorAll("#stance-table tr[data-target-id]") || [])];
    if (!all.length) return false;
    const i = all.findIndex((r) => r.classList.contains("current-target"));
    markTarget(f, Number(all[(i + 1) % all.length].dataset.targetId));
    return true;
  }

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

  // --- source picker ------------------------------------------------------------------------

  const options = () => [...document.querySelectorAll("#source-options [role=option]")];

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

  function moveOption(step) {
    const all = options();
    if (!all.length) return;
    let i = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
    i = (i + step + all.length) % all.length;
    all.forEach((o, k) => o.setAttribute("aria-selected", String(k === i)));
    all[i].scrollIntoView({ block: "nearest" });
    syncOptions();
  }

  function chooseSourceDisplay(name) {
    document.getElementById("source-name").textContent = name;
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
    chooseSourceDisplay(option.dataset.sourceName);
    const input = document.getElementById("source-q");
    input.value = "";
    hideResults();
    closeNewSource();
    state.dirty = true;
    saveDraft();
    focusAfterSource();
  }

  // A new source is a deliberate act: Alt+Enter in the search (or the "New source…"
  // button) opens a confirmation with the closest existing names; its Create button has
  // focus, so Enter there adds the source. No option of the list ever creates one.
  function openNewSource() {
    const picker = document.getElementById("source-picker");
    const name = document.getElementById("source-q")?.value.trim();
    if (!picker || !name) return;
    htmx.ajax("GET", picker.dataset.confirmUrl, {
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
    htmx.ajax("POST", picker.dataset.createUrl, {
      source: picker, target: "#source-picker", swap: "outerHTML",
      values: { name, kind: document.getElementById("source-new-kind")?.value || "person" },
    }).then(() => {
      state.dirty = true;
      saveDraft();
      if (document.getElementById("source-id")?.value) focusAfterSource();
      else document.getElementById("source-q")?.focus();
    });
  }

  function focusAfterSource() {
    const f = form();
    const attribution = f?.querySelector("input[name=attribution]:checked")
      || f?.querySelector("input[name=attribution]");
    attribution?.focus();
  }

  function authorDefault(radio) {
    const id = radio.dataset.bylineSourceId;
    const sourceId = document.getElementById("source-id");
    if (radio.value !== "author" || !id || !sourceId || sourceId.value) return;
    sourceId.value = id;
    chooseSourceDisplay(radio.dataset.bylineSourceName);
    say(`Source set to the byline author, ${radio.dataset.bylineSourceName}.`);
  }

  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest("#source-confirm")) {
      event.preventDefault();
      event.stopPropagation();
      closeNewSource(true);
      return;
    }
    if (event.target.id !== "source-q") return;
    const list = document.getElementById("source-options");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveOption(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      if (document.querySelector("#source-results [data-action=new-source]")) openNewSource();
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
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
    if (action === "close") closeForm();
    else if (action === "new-source") openNewSource();
    else if (action === "create-source") createSource(button.dataset.name);
    else if (action === "pick-source") chooseOption(button);
    else if (action === "cancel-new-source") closeNewSource(true);
    else if (action === "clear-source") {
      document.getElementById("source-id").value = "";
      document.getElementById("source-chosen").hidden = true;
      document.getElementById("source-q").focus();
      state.dirty = true;
      saveDraft();
    } else if (action === "pick-mention") toggleMentionMode();
    else if (action === "clear-mention") setMention(null);
  });

  // --- selections in the text ---------------------------------------------------------------

  /** The span the user selected in the text: {start, end, quote}, {error}, or null. */
  function selection(exact) {
    const sel = document.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!textEl.contains(range.commonAncestorContainer) && !range.intersectsNode(textEl)) return null;
    const raw = rangeToOffsets(textEl, range);
    if (!raw) return null;
    let start = raw.start, end = raw.end;
    if (exact) {
      if (!TEXT.slice(map.toUtf16(start), map.toUtf16(end)).trim()) return { error: NO_WORDS };
    } else {
      const snapped = snapToWords(TEXT, start, end);
      if (!snapped) return { error: NO_WORDS };
      [start, end] = snapped;
    }
    return { start, end, quote: TEXT.slice(map.toUtf16(start), map.toUtf16(end)) };
  }

  function showSelection(span) {
    const sel = document.getSelection();
    sel.removeAllRanges();
    sel.addRange(offsetsToRange(textEl, span.start, span.end));
  }

  function takeSelection(exact, { explicit }) {
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
    showSelection(span);
    openNew(span);
  }

  function toggleMentionMode(on = !state.mentionMode) {
    if (!form()) return false;
    state.mentionMode = on;
    ws.classList.toggle("picking-mention", on);
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
    state.dirty = true;
    saveDraft();
    repaintIfChanged();
  }

  textEl.addEventListener("mouseup", (event) => {
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

  textEl.addEventListener("mouseover", (event) => {
    const mark = event.target.closest?.("mark[data-claim-ids]");
    for (const row of document.querySelectorAll(".claim-row.hover")) row.classList.remove("hover");
    if (mark) for (const id of mark.dataset.claimIds.split(" ")) rowOf(id)?.classList.add("hover");
  });

  document.addEventListener("click", (event) => {
    const row = event.target.closest(".claim-row");
    if (row) state.current = row.dataset.claimId;
    if (row && event.target.closest("[data-action=open-claim]")) openEdit(row);
    const suggestion = event.target.closest(".suggestion-row");
    if (suggestion) selectSuggestion(suggestion.dataset.suggestionId, { scroll: false });
  });

  // --- keyboard -----------------------------------------------------------------------------

  const inForm = () => Boolean(form());

  function step(delta) {
    const all = rows();
    if (!all.length) return false;
    const i = all.findIndex((r) => r.dataset.claimId === state.current);
    const next = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(Math.max(i + delta, 0), all.length - 1);
    select(all[next].dataset.claimId, { open: !state.dirty });
    return true;
  }

  function deleteCurrent() {
    const row = state.current && rowOf(state.current);
    if (!row) return false;
    htmx.ajax("POST", claimUrl("delete", row), {
      source: ws, target: "#claim-panel", swap: "innerHTML", values: { version: row.dataset.version },
    });
    state.dirty = false;
    const f = form();
    if (f) sessionStorage.removeItem(draftKey(f.dataset.draftKey));
    return true;
  }

  function click(selector) {
    const element = document.querySelector(selector);
    if (!element) return false;
    element.click();
    return true;
  }

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
    { keys: ["j", "ArrowDown"], when: () => !inForm() || !state.dirty, run: () => step(1) },
    { keys: ["k", "ArrowUp"], when: () => !inForm() || !state.dirty, run: () => step(-1) },
    { keys: ["e"], run: () => (state.current ? select(state.current, { open: true }) : false) },
    { keys: ["m"], when: inForm, run: () => toggleMentionMode() },
    { keys: ["f"], when: inForm, run: () => setStance("favor") },
    { keys: ["a"], when: inForm, run: () => setStance("against") },
    { keys: ["0"], when: inForm, run: () => setStance("none") },
    { keys: ["t"], when: inForm, run: () => nextTarget() },
    { keys: ["s"], when: inForm, run: () => document.getElementById("source-q")?.focus() },
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

  ws.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=help]")) help.showModal();
  });

  // --- start ----------------------------------------------------------------------------------

  state.signature = signature();
  paint();
  const fromHash = /^#claim-(\d+)$/.exec(location.hash);
  if (fromHash && rowOf(fromHash[1])) select(fromHash[1], { open: true });
  else {
    // A claim being written when the page went away comes back (drafts live per tab).
    const draft = readDraft("new");
    const edit = Object.keys(sessionStorage)
      .filter((k) => k.startsWith(`${DRAFT_PREFIX}${articleId}:`) && !k.endsWith(":new"))
      .map((k) => k.split(":").pop())
      .find((id) => rowOf(id));
    if (draft && draft.start !== "") {
      openNew({ start: Number(draft.start), end: Number(draft.end), quote: draft.quote });
    } else if (edit) {
      select(edit, { open: true });
    }
  }
  ws.dataset.ready = "1";
}
