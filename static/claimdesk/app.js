// Small behaviour the browser must do: close the project switcher on Escape or outside click.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.switcher[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.switcher[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});

// Filter forms (hx-get on a form, triggered by submit and by typing): typing then Enter used to
// send the same search twice, the second aborting the first (htmx logs the abort as an error).
// A request for the query already on its way is not sent again, and a typing or change
// trigger for the query last sent is dropped; a deliberate submit of a finished query reloads.
// The forms queue a new query behind the one in flight (hx-sync="this:queue last") rather
// than abort it, so fast typing logs no abort either.
const filterRequests = new WeakMap(); // form -> { last, inflight, xhr }

function filterKey(form, path) {
  return `${path.split("?")[0]}?${new URLSearchParams(new FormData(form))}`;
}

document.addEventListener("htmx:confirm", (event) => {
  const { elt, verb, path, triggeringEvent } = event.detail;
  if (!(elt instanceof HTMLFormElement) || verb !== "get") return;
  const key = filterKey(elt, path);
  const state = filterRequests.get(elt) || {};
  const typed = triggeringEvent && triggeringEvent.type !== "submit";
  if (state.inflight === key || (typed && state.last === key)) {
    event.preventDefault(); // the request is not issued
    return;
  }
  filterRequests.set(elt, { ...state, pending: key });
});
document.addEventListener("htmx:beforeRequest", (event) => {
  const state = filterRequests.get(event.detail.elt);
  if (!state || !state.pending) return;
  filterRequests.set(event.detail.elt, { last: state.pending, inflight: state.pending, xhr: event.detail.xhr });
});
document.addEventListener("htmx:afterRequest", (event) => {
  const state = filterRequests.get(event.detail.elt);
  if (state && state.xhr === event.detail.xhr) state.inflight = null;
});
