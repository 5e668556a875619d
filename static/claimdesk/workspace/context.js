// What every part of the workspace shares: the page's elements, the article text and its
// offset map, and the state of the open claim. Filled once by `initContext` (workspace.js).

import { OffsetMap } from "../offsets.js";

export const DRAFT_PREFIX = "claimdesk:draft:";

/** The page: elements and the article text (its textContent, offsets.js contract). */
export const ctx = {
  ws: null,
  htmx: null,
  textEl: null,
  panel: null,
  message: null,
  toasts: null,
  help: null,
  TEXT: "",
  map: null,
  articleId: "",
};

export const state = {
  current: null, // id of the selected claim
  dirty: false, // the open form has unsaved changes
  pending: null, // {start, end} of the claim being created
  adjusted: null, // {start, end}: the new span of the claim being edited, not saved yet
  mention: null, // {start, end} of the mention picked in the open form
  typed: null, // what was typed while a new claim's form was on its way (the source search), or null
  mentionMode: false,
  caret: null, // caret mode: {at, mark} in code points (mark: the start, or null)
  undo: null, // URL restoring the last deleted claim
  suggestion: null, // id of the current suggestion
  suggestionIndex: 0, // its place in the list, to move on after accept or dismiss
  suggestionArrived: false, // it became current by an answer to the one before, not by Shift+J
  signature: "",
};

export function initContext(ws) {
  ctx.ws = ws;
  ctx.htmx = window.htmx;
  ctx.textEl = document.getElementById("article-text");
  ctx.panel = document.getElementById("claim-panel");
  ctx.message = document.getElementById("ws-message");
  ctx.toasts = document.getElementById("toasts");
  ctx.help = document.getElementById("help");
  ctx.TEXT = ctx.textEl.textContent;
  ctx.map = new OffsetMap(ctx.TEXT);
  ctx.articleId = ws.dataset.article;
}

/** The article text between code-point offsets. */
export const quoteOf = (start, end) => ctx.TEXT.slice(ctx.map.toUtf16(start), ctx.map.toUtf16(end));

// --- the rows of the side column -----------------------------------------------------------

export const rows = () => [...document.querySelectorAll("#claim-rows > li[data-claim-id]")];
export const rowOf = (id) => document.getElementById(`claim-row-${id}`);
// Rows carry only their claim's id: the list holds each endpoint once, "{id}" in it.
export const claimUrl = (kind, row) =>
  document.getElementById("claim-rows").dataset[`${kind}Url`].replace("{id}", row.dataset.claimId);
export const claims = () =>
  rows().map((row) => ({
    id: row.dataset.claimId,
    start: Number(row.dataset.start),
    end: Number(row.dataset.end),
    summary: row.dataset.summary || "",
  }));

// Suggestions: rows of #suggestion-rows, shown as dashed outlines (never as claims).
export const suggestionRows = () => [...document.querySelectorAll("#suggestion-rows > li[data-suggestion-id]")];
export const suggestionRowOf = (id) => document.getElementById(`suggestion-row-${id}`);

export const form = () => document.getElementById("claim-form");
export const inForm = () => Boolean(form());
export const draftKey = (key) => `${DRAFT_PREFIX}${ctx.articleId}:${key}`;
