// The review screen: move between groups, decide with the keyboard, add a gold claim from a
// text selection, show toasts. The decisions themselves are htmx posts in the page.
import { selectedSpan } from "./offsets.js";
import { installShortcuts } from "./shortcuts.js";

const root = document.getElementById("review");
const text = document.getElementById("article-text");
const help = document.getElementById("help");
const toasts = document.getElementById("toasts");
let current = -1; // the index in units() of the current group
let advance = false; // a decision by key: once it is shown, move on to the next open group

const units = () => [...document.querySelectorAll("#review-body .unit")];

function mark(unit) {
  for (const m of text.querySelectorAll("mark.current")) m.classList.remove("current");
  if (!unit) return;
  for (const m of text.querySelectorAll("mark[data-units]")) {
    if (m.dataset.units.split(" ").includes(unit.dataset.unit)) m.classList.add("current");
  }
}

function go(index) {
  const all = units();
  if (all.length === 0) return;
  current = Math.max(0, Math.min(all.length - 1, index));
  for (const u of all) u.classList.remove("current");
  const unit = all[current];
  unit.classList.add("current");
  unit.focus({ preventScroll: true });
  unit.scrollIntoView({ block: "nearest" });
  mark(unit);
}

function currentUnit() {
  const all = units();
  if (current < 0 && all.length) go(0);
  return units()[current] || null;
}

function click(selector) {
  const button = currentUnit()?.querySelector(selector);
  if (!button) return false;
  button.click();
  return true;
}

/** A decision by key: the next open group becomes current once it is recorded. */
function decide(selector) {
  advance = click(selector);
  return advance;
}

function addFromSelection() {
  const span = selectedSpan(text);
  if (!span) {
    toast("Select words of the article text first.");
    return;
  }
  const params = new URLSearchParams({ start: span.start, end: span.end, quote: span.quote });
  htmx.ajax("GET", `${root.dataset.addUrl}?${params}`, { target: "#review-panel", swap: "innerHTML" });
}

function toast(message) {
  const item = document.createElement("div");
  item.className = "toast";
  item.setAttribute("role", "status");
  item.textContent = message;
  toasts.append(item);
  setTimeout(() => item.remove(), 4000);
}

function closePanel() {
  const panel = document.getElementById("review-panel");
  if (panel.childElementCount === 0) return false;
  panel.replaceChildren();
  return true;
}

document.body.addEventListener("claimdesk:toast", (event) => toast(event.detail.message));
document.body.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  toast(status === 403 ? "Only curators and managers decide here." : `The server answered ${status}; nothing was saved.`);
});
document.body.addEventListener("htmx:sendError", () => toast("The server can't be reached; nothing was saved."));
// After a swap the current group is a new element: keep it current. After a decision made
// by key, the next group not decided yet becomes current: one key a unanimous group.
document.body.addEventListener("htmx:afterSettle", () => {
  if (current < 0) return;
  const all = units();
  if (!all[current]) return;
  all[current].classList.add("current");
  mark(all[current]);
  if (!advance || !all[current].querySelector("[data-outcome]")) return;
  advance = false;
  const next = all.findIndex((u, i) => i > current && !u.querySelector("[data-outcome]"));
  if (next >= 0) go(next);
});
document.body.addEventListener("htmx:responseError", () => { advance = false; });

text.addEventListener("click", (event) => {
  const hit = event.target.closest("mark[data-units]");
  if (!hit || !document.getSelection().isCollapsed) return;
  const first = hit.dataset.units.split(" ")[0];
  const index = units().findIndex((u) => u.dataset.unit === first);
  if (index >= 0) go(index);
});
root.addEventListener("click", (event) => {
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action === "add") addFromSelection();
  else if (action === "help") help.showModal();
  else if (action === "close") closePanel();
  else select(event.target.closest(".unit"));
});
// Tabbing into a group's choices (the radio buttons of a merge) makes it the current group,
// so that m merges the group the keyboard is in.
root.addEventListener("focusin", (event) => select(event.target.closest(".unit")));

/** The group becomes current without moving the focus (a click or a Tab inside it). */
function select(unit) {
  if (!unit) return;
  const index = units().indexOf(unit);
  if (index === current) return;
  current = index;
  for (const u of units()) u.classList.toggle("current", u === unit);
  mark(unit);
}

const acceptKeys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
installShortcuts([
  { keys: ["j"], run: () => go(current + 1) },
  { keys: ["k"], run: () => go(current - 1) },
  // The arrows move between groups, except on a radio button, where they choose.
  { keys: ["ArrowDown"], outsideControls: true, run: () => go(current + 1) },
  { keys: ["ArrowUp"], outsideControls: true, run: () => go(current - 1) },
  { keys: acceptKeys, run: (event) => decide(`button[data-accept="${event.key}"]`) },
  { keys: ["m"], run: () => decide("[data-action=merge]") },
  { keys: ["r"], run: () => decide("[data-action=reject]") },
  { keys: ["e"], run: () => click("[data-action=edit]") },
  { keys: ["a"], run: () => addFromSelection() },
  { keys: ["A"], run: () => document.querySelector("[data-action=bulk]")?.click() },
  { keys: ["?"], run: () => help.showModal() },
  { keys: ["Escape"], inFields: true, run: () => (help.open ? help.close() : closePanel()) },
]);
root.dataset.ready = "true";
