// The attribution chain in the claim form: add a carrier with a key (l) and the registry's
// autocomplete, set its reliability, pick where the text names it, remove it. The rows are
// plain form fields (chain-source, chain-mention_start, chain-mention_end, chain-reliability,
// once per link, in order): the claim's Save posts them, the server checks them.
// It listens on the panel and the text, and tells the form about a change with a "change"
// event (which marks the claim unsaved). keys.js binds l to focusChainSearch.
import { rangeToOffsets, sliceCodePoints, snapToWords } from "../offsets.js";
import { ctx } from "./context.js";

/** Focus the chain's "Add a carrier" search (the l key, in the form). */
export function focusChainSearch() {
  const input = document.getElementById("chain-q");
  if (!input) return false;
  input.focus();
  return true;
}

export function installChains() {
  const ws = ctx.ws;
  const panel = ctx.panel || document.getElementById("claim-panel");
  const textEl = ctx.textEl;
  const message = ctx.message || document.getElementById("ws-message");
  const TEXT = ctx.TEXT;
  let picking = null; // the chain row whose mention the next selection gives
  let timer = null;

  const field = () => document.getElementById("chain-field");
  const input = () => document.getElementById("chain-q");
  const list = () => document.getElementById("chain-options");
  const options = () => [...(list()?.querySelectorAll("[role=option]") || [])];

  function say(text) {
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  }

  function changed() {
    document.getElementById("claim-form")?.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- the autocomplete: the workspace's own source search, its options read from the HTML --

  async function search(query) {
    const url = new URL(field().dataset.searchUrl, location.href);
    url.searchParams.set("q", query);
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!response.ok || input()?.value.trim() !== query) return;
    const found = new DOMParser().parseFromString(await response.text(), "text/html");
    const items = [...found.querySelectorAll("[role=option][data-source-id]")];
    const ul = list();
    ul.replaceChildren(...items.map((item, index) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = `chain-option-${item.dataset.sourceId}`;
      li.dataset.sourceId = item.dataset.sourceId;
      li.dataset.sourceName = item.dataset.sourceName;
      li.textContent = item.dataset.sourceName;
      li.setAttribute("aria-selected", String(index === 0));
      return li;
    }));
    ul.hidden = items.length === 0;
    input().setAttribute("aria-expanded", String(items.length > 0));
    if (items.length === 0) say(`No source matches “${query}”: add it to the registry first.`);
    else say("");
  }

  function hide() {
    const ul = list();
    if (!ul) return;
    ul.hidden = true;
    ul.replaceChildren();
    input()?.setAttribute("aria-expanded", "false");
  }

  function move(step) {
    const all = options();
    if (!all.length) return;
    const at = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
    const next = all[(at + step + all.length) % all.length];
    for (const o of all) o.setAttribute("aria-selected", String(o === next));
    input().setAttribute("aria-activedescendant", next.id);
    next.scrollIntoView({ block: "nearest" });
  }

  // --- rows -------------------------------------------------------------------------------------

  function addLink(id, name) {
    const template = document.getElementById("chain-link-template");
    const row = template.content.firstElementChild.cloneNode(true);
    row.dataset.sourceId = id;
    row.querySelector("[name=chain-source]").value = id;
    row.querySelector(".chain-name").textContent = name;
    row.querySelector("select").setAttribute("aria-label", `Reliability of ${name}`);
    row.querySelector("[data-action=remove-link]").setAttribute("aria-label", `Remove ${name}`);
    document.getElementById("chain-links").append(row);
    input().value = "";
    hide();
    changed();
    say(`${name} added to the chain (position ${document.querySelectorAll("#chain-links > li").length}).`);
    row.querySelector("select").focus();
  }

  function choose(option) {
    if (option) addLink(option.dataset.sourceId, option.dataset.sourceName);
  }

  function pickMention(row) {
    picking = picking === row ? null : row;
    ws.classList.toggle("picking-mention", Boolean(picking));
    say(picking ? "Select the words that name this carrier (Esc to cancel)." : "");
  }

  function setMention(row, span) {
    row.querySelector("[name=chain-mention_start]").value = span.start;
    row.querySelector("[name=chain-mention_end]").value = span.end;
    row.querySelector(".chain-mention").textContent = `“${span.quote}”`;
    changed();
  }

  // --- events -----------------------------------------------------------------------------------

  // Capture: the search field's typing is not a change of the claim, and its keys are its own.
  panel.addEventListener("input", (event) => {
    if (event.target.id !== "chain-q") return;
    event.stopPropagation();
    clearTimeout(timer);
    const query = event.target.value.trim();
    if (!query) return hide();
    timer = setTimeout(() => search(query), 150);
  }, true);

  panel.addEventListener("keydown", (event) => {
    if (event.target.id !== "chain-q") return;
    const open = !list().hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      choose(options().find((o) => o.getAttribute("aria-selected") === "true"));
    } else if (event.key === "Escape" && open) {
      hide();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  panel.addEventListener("click", (event) => {
    const option = event.target.closest("#chain-options [role=option]");
    if (option) return choose(option);
    const row = event.target.closest("#chain-links > li");
    if (!row) return;
    if (event.target.closest("[data-action=remove-link]")) {
      if (picking === row) pickMention(row);
      row.remove();
      changed();
      input()?.focus();
    } else if (event.target.closest("[data-action=pick-link-mention]")) {
      pickMention(row);
    }
  });

  // Before the workspace's own handler: a selection made for a carrier's mention is not a claim.
  document.addEventListener("mouseup", (event) => {
    if (!picking || !textEl.contains(event.target)) return;
    event.stopPropagation();
    const row = picking;
    setTimeout(() => {
      const sel = document.getSelection();
      if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
      const raw = rangeToOffsets(textEl, sel.getRangeAt(0));
      const snapped = raw && (event.altKey ? [raw.start, raw.end] : snapToWords(TEXT, raw.start, raw.end));
      if (!snapped) return;
      const [start, end] = snapped;
      setMention(row, { start, end, quote: sliceCodePoints(TEXT, start, end) });
      sel.removeAllRanges();
      pickMention(row);
    }, 0);
  }, true);

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && picking) {
      pickMention(picking);
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
}
