// Messages under the panel, and toasts (with Undo for a deleted claim).

import { ctx, state } from "./context.js";

let timer = null;

export function say(text) {
  ctx.message.textContent = text;
  ctx.message.hidden = !text;
  clearTimeout(timer);
  if (text) timer = setTimeout(() => (ctx.message.hidden = true), 5000);
}

export function toast(text, undo = "") {
  const item = document.createElement("div");
  item.className = "toast";
  item.setAttribute("role", "status");
  const label = document.createElement("span");
  label.textContent = text;
  item.append(label);
  if (undo) {
    // One Undo at a time, the one `u` restores: an older offer goes (issue 18: they stacked).
    for (const old of ctx.toasts.querySelectorAll(".toast[data-undo]")) old.remove();
    item.dataset.undo = undo;
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
  ctx.toasts.append(item);
  setTimeout(() => item.remove(), undo ? 12000 : 4000);
}

/** Undo a delete: the claim list comes back with the claim in it. */
export function restore(url) {
  if (!url) return;
  state.undo = null;
  // Its offer is used up, whether by the button or by `u`.
  for (const offer of ctx.toasts.querySelectorAll(".toast[data-undo]")) {
    if (offer.dataset.undo === url) offer.remove();
  }
  ctx.htmx.ajax("POST", url, { source: ctx.ws, target: "#claim-list", swap: "outerHTML" });
}

export function installMessages() {
  document.body.addEventListener("claimdesk:toast", (event) => {
    toast(event.detail.message, event.detail.undo || "");
  });
  document.body.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    toast(status === 404 ? "Not found: reload the page." : `The server answered ${status}; nothing was saved.`);
  });
  document.body.addEventListener("htmx:sendError", () => toast("The server can't be reached; nothing was saved."));
}
