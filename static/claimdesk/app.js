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

// Paging links (templates/pagination.html) swap the results they stand in, themselves
// included: the focus fell back to the top of the page, and a keyboard user tabbed through
// the header and the filters again to reach the next page. It goes to the same link on the
// new page, or to the other one where that one is gone (the first or the last page).
let paging = null; // { rel, target } of the paging link whose request is on its way
document.addEventListener("htmx:beforeRequest", (event) => {
  const link = event.detail.elt;
  if (link instanceof HTMLAnchorElement && link.closest("nav.pagination") && link.rel) {
    paging = { rel: link.rel, target: link.getAttribute("hx-target") };
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (!event.detail.successful) paging = null; // nothing swapped: no focus to move later
});
document.addEventListener("htmx:afterSettle", () => {
  if (!paging) return;
  const { rel, target } = paging;
  paging = null;
  const nav = (target && document.querySelector(target)?.querySelector("nav.pagination"))
    || document.querySelector("nav.pagination");
  const link = nav?.querySelector(`a[rel="${rel}"]`) || nav?.querySelector("a[rel]");
  link?.focus();
});
