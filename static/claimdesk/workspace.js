// The annotation workspace, in modules by concern (static/claimdesk/workspace/):
//
// - context.js: the page's elements, the article text, the shared state
// - highlights.js: my claims and the suggestions painted over the text
// - selection.js: text selections -> a new claim or the source mention (mouse, touch:
//   the selection bar); clicks on highlights
// - span.js: adjusting the open claim's span (handles, [ ] { })
// - caret.js: caret mode, a claim from the keyboard alone
// - form.js: the claim form (open, close, drafts, first error in view, stance targets)
// - source-picker.js: the source combobox and the deliberate creation of a source
// - chains.js: the attribution chain in the form (carriers, their reliability, mentions)
// - labels.js: a key for every field of the scheme, "same labels as my last claim"
// - claims.js: the claim list (current claim, moving, deleting)
// - suggestions.js: the current suggestion, accept, edit, dismiss
// - messages.js: the message line and toasts (Undo)
// - keys.js: the keyboard shortcuts
// - held-keys.js: keys typed while the page catches up (a form or a pick on its way),
//   held and then replayed
//
// Served from our static files as ES modules (type="module"): the CSP allows scripts from
// 'self' only, and nothing here is inline.

import { ctx, DRAFT_PREFIX, initContext, rowOf } from "./workspace/context.js";
import { installCaret } from "./workspace/caret.js";
import { installChains } from "./workspace/chains.js";
import { installClaims, select } from "./workspace/claims.js";
import { installForm, openNew, readDraft } from "./workspace/form.js";
import { installHeldKeys } from "./workspace/held-keys.js";
import { installHighlights } from "./workspace/highlights.js";
import { installKeys } from "./workspace/keys.js";
import { installLabels } from "./workspace/labels.js";
import { installMessages } from "./workspace/messages.js";
import { installSelection } from "./workspace/selection.js";
import { installSourcePicker } from "./workspace/source-picker.js";
import { installSpan } from "./workspace/span.js";
import { installSuggestions } from "./workspace/suggestions.js";

const workspace = document.getElementById("workspace");
if (workspace) start(workspace);

function start(ws) {
  initContext(ws);
  installHeldKeys();
  installMessages();
  installSuggestions();
  installForm();
  installSourcePicker();
  installChains();
  installLabels();
  installSelection();
  installSpan();
  installCaret();
  installClaims();
  installKeys();
  installHighlights();

  const fromHash = /^#claim-(\d+)$/.exec(location.hash);
  if (fromHash && rowOf(fromHash[1])) select(fromHash[1], { open: true });
  else {
    // A claim being written when the page went away comes back (drafts live per tab).
    const draft = readDraft("new");
    const edit = Object.keys(sessionStorage)
      .filter((k) => k.startsWith(`${DRAFT_PREFIX}${ctx.articleId}:`) && !k.endsWith(":new"))
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
