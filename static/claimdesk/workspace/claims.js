// The claim list: the current claim, moving through the list, opening, deleting.

import { claimUrl, ctx, draftKey, form, rowOf, rows, state } from "./context.js";
import { openEdit } from "./form.js";
import { repaintIfChanged } from "./highlights.js";

export function select(id, { open = false, scroll = true } = {}) {
  state.current = id ? String(id) : null;
  repaintIfChanged();
  const row = id && rowOf(id);
  if (!row) return;
  if (scroll) {
    row.scrollIntoView({ block: "nearest" });
    ctx.textEl.querySelector("mark.current")?.scrollIntoView({ block: "center", behavior: "smooth" });
  }
  if (open) openEdit(row);
}

export function step(delta) {
  const all = rows();
  if (!all.length) return false;
  const i = all.findIndex((r) => r.dataset.claimId === state.current);
  const next = i < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(Math.max(i + delta, 0), all.length - 1);
  select(all[next].dataset.claimId, { open: !state.dirty });
  return true;
}

export function deleteCurrent() {
  const row = state.current && rowOf(state.current);
  if (!row) return false;
  ctx.htmx.ajax("POST", claimUrl("delete", row), {
    source: ctx.ws, target: "#claim-panel", swap: "innerHTML", values: { version: row.dataset.version },
  });
  state.dirty = false;
  const f = form();
  if (f) sessionStorage.removeItem(draftKey(f.dataset.draftKey));
  return true;
}

// Rows in text order, as the server lists them (start, the longer first, then id): an edit
// that moved a claim's span moves its row too (its new row comes back in its old place).
const rowKey = (row) => [Number(row.dataset.start), -Number(row.dataset.end), Number(row.dataset.claimId)];
function inTextOrder(a, b) {
  const x = rowKey(a), y = rowKey(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export function keepTextOrder() {
  const all = rows();
  if (all.every((row, i) => i === 0 || inTextOrder(all[i - 1], row) <= 0)) return;
  document.getElementById("claim-rows").append(...all.sort(inTextOrder));
}

export function installClaims() {
  document.body.addEventListener("htmx:afterSettle", keepTextOrder);
  document.addEventListener("click", (event) => {
    const row = event.target.closest(".claim-row");
    if (row) state.current = row.dataset.claimId;
    if (row && event.target.closest("[data-action=open-claim]")) openEdit(row);
  });
  ctx.textEl.addEventListener("mouseover", (event) => {
    const mark = event.target.closest?.("mark[data-claim-ids]");
    for (const row of document.querySelectorAll(".claim-row.hover")) row.classList.remove("hover");
    if (mark) for (const id of mark.dataset.claimIds.split(" ")) rowOf(id)?.classList.add("hover");
  });
}
