// Span offsets in the browser: DOM selections <-> code-point offsets, and snapping.
//
// Mirrors annotate/claims/offsets.py, which describes the rules; snapToWords gives the same
// result as snap_to_words (tests/annotate/test_offsets_js.py checks both on shared cases).
//
// Offsets are half-open [start, end) Unicode CODE-POINT offsets into the article text
// (Python str indices). JavaScript strings and DOM ranges count UTF-16 code units, so
// every offset that crosses to or from the server goes through OffsetMap.
//
// Contract with the page: the container element's textContent IS the article text,
// character for character. The server renders the text as the only text inside one
// <div> styled `white-space: pre-wrap` (newlines stay "\n" characters: no <p> or <br>;
// a <div>, not a <pre>, whose parser would drop a leading newline). Highlights and
// other markup are inline elements (<mark>, <span>) wrapping parts of that text and
// adding none of their own: labels and counters belong outside the container or in CSS
// generated content, which textContent ignores.

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const MARK = /\p{M}/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;
const DIGIT = /\p{Nd}/u;
const SPACE = /[\p{Z}\p{Cc}]/u;
const PUNCT = /\p{P}/u;
const SYMBOL = /\p{So}/u;
const KEPT_PUNCTUATION = new Set("%‰‱#&@*§¶†‡′″/\\");
const QUOTE_PAIRS = new Map([
  ["(", ")"], ["[", "]"], ["{", "}"], ["“", "”"], ["‘", "’"], ["„", "“"], ["‚", "‘"],
  ["«", "»"], ["‹", "›"], ['"', '"'], ["「", "」"], ["『", "』"], ["（", "）"],
]);
const OPENER_OF = new Map([...QUOTE_PAIRS].map(([open, close]) => [close, open]));
const APOSTROPHES = "'’";

// --- code points <-> UTF-16 ---------------------------------------------------------

/** Converts offsets of one text between code points and UTF-16 code units. */
export class OffsetMap {
  constructor(text) {
    // UTF-16 index of each character outside the BMP (two code units); usually none.
    this.astral = [];
    for (const m of text.matchAll(SURROGATE_PAIR)) this.astral.push(m.index);
    this.utf16Length = text.length;
    this.length = text.length - this.astral.length;
  }

  toUtf16(cp) {
    if (!Number.isInteger(cp) || cp < 0 || cp > this.length) {
      throw new RangeError(`code-point offset ${cp} is outside 0–${this.length}`);
    }
    // The k-th astral character starts at code point astral[k] - k.
    let lo = 0, hi = this.astral.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.astral[mid] - mid < cp) lo = mid + 1; else hi = mid;
    }
    return cp + lo;
  }

  toCodePoint(unit) {
    if (!Number.isInteger(unit) || unit < 0 || unit > this.utf16Length) {
      throw new RangeError(`UTF-16 offset ${unit} is outside 0–${this.utf16Length}`);
    }
    let lo = 0, hi = this.astral.length; // astral characters starting before unit
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.astral[mid] < unit) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && this.astral[lo - 1] + 1 === unit) {
      throw new RangeError(`UTF-16 offset ${unit} falls inside a surrogate pair`);
    }
    return unit - lo;
  }
}

let cached = { text: null, map: null };
function mapFor(text) {
  if (cached.text !== text) cached = { text, map: new OffsetMap(text) };
  return cached.map;
}

export function utf16ToCodePoint(text, unit) {
  return mapFor(text).toCodePoint(unit);
}

export function codePointToUtf16(text, cp) {
  return mapFor(text).toUtf16(cp);
}

/** The text between two code-point offsets (the quote of a span). */
export function sliceCodePoints(text, start, end) {
  const map = mapFor(text);
  return text.slice(map.toUtf16(start), map.toUtf16(end));
}

// --- clusters and character classes (UTF-16 indices at code-point starts) -----------

const charAt = (t, i) => String.fromCodePoint(t.codePointAt(i));
const nextCp = (t, i) => i + (t.codePointAt(i) > 0xffff ? 2 : 1);
// Whether UTF-16 offset i falls between the two halves of a surrogate pair.
function splitsPair(t, i) {
  const high = t.charCodeAt(i - 1), low = t.charCodeAt(i);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
const prevCp = (t, i) => (i >= 2 && splitsPair(t, i - 1) ? i - 2 : i - 1);

function isExtend(ch) {
  const o = ch.codePointAt(0);
  return MARK.test(ch) || o === 0x200c || o === 0x200d
    || (o >= 0x1f3fb && o <= 0x1f3ff) || (o >= 0xe0020 && o <= 0xe007f);
}
const isRegional = (ch) => ch.codePointAt(0) >= 0x1f1e6 && ch.codePointAt(0) <= 0x1f1ff;

function isClusterBoundary(t, i) {
  if (i <= 0 || i >= t.length) return true;
  const ch = charAt(t, i), before = charAt(t, prevCp(t, i));
  if (isExtend(ch) || (before === "\u200d" && SYMBOL.test(ch))) return false;
  if (isRegional(ch) && isRegional(before)) {
    let run = 0;
    for (let j = prevCp(t, i); j >= 0 && isRegional(charAt(t, j)); j = prevCp(t, j)) run += 1;
    return run % 2 === 0;
  }
  return true;
}

function next(t, i) {
  i = nextCp(t, i);
  while (!isClusterBoundary(t, i)) i = nextCp(t, i);
  return i;
}

function prev(t, i) {
  i = prevCp(t, i);
  while (!isClusterBoundary(t, i)) i = prevCp(t, i);
  return i;
}

const isTrimmable = (ch) => SPACE.test(ch) || (PUNCT.test(ch) && !KEPT_PUNCTUATION.has(ch));

function isWordlike(t, i) {
  const ch = charAt(t, i);
  if (WORD.test(ch)) return true;
  if (i === 0 || !(APOSTROPHES.includes(ch) || ch === "." || ch === ",")) return false;
  const j = next(t, i);
  if (j >= t.length) return false;
  const left = charAt(t, prev(t, i)), right = charAt(t, j);
  if (APOSTROPHES.includes(ch)) return WORD.test(left) && WORD.test(right);
  return DIGIT.test(left) && DIGIT.test(right);
}

// Han ideographs and hiragana: each is a word of its own, as in UAX #29.
function isIdeograph(ch) {
  const o = ch.codePointAt(0);
  return (o >= 0x3040 && o <= 0x309f) || (o >= 0x3400 && o <= 0x4dbf)
    || (o >= 0x4e00 && o <= 0x9fff) || (o >= 0xf900 && o <= 0xfaff)
    || (o >= 0x20000 && o <= 0x3ffff);
}

function insideWord(t, i) {
  if (i <= 0 || i >= t.length) return false;
  const before = prev(t, i);
  if (isIdeograph(charAt(t, before)) || isIdeograph(charAt(t, i))) return false;
  return isWordlike(t, before) && isWordlike(t, i);
}

// --- snapping -----------------------------------------------------------------------

/**
 * Snap code-point offsets [start, end) to whole words, exactly as snap_to_words does.
 * Returns [start, end], or null for a selection of only spaces and punctuation; throws
 * RangeError for offsets that are not a non-empty span of the text.
 */
export function snapToWords(text, start, end) {
  const map = mapFor(text);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start >= end
      || end > map.length) {
    throw new RangeError(`[${start}, ${end}) is not a non-empty span of 0–${map.length}`);
  }
  let s = map.toUtf16(start), e = map.toUtf16(end);
  if (!isClusterBoundary(text, s)) s = prev(text, s);
  if (!isClusterBoundary(text, e)) e = next(text, e);

  let i = s;
  while (i < e && isTrimmable(charAt(text, i))) i = next(text, i);
  if (i >= e) return null;

  while (s < e) {
    const ch = charAt(text, s), partner = QUOTE_PAIRS.get(ch);
    if (!isTrimmable(ch) || (partner && text.slice(s + 1, e).includes(partner))) break;
    s = next(text, s);
  }
  while (e > s) {
    const last = prev(text, e), ch = charAt(text, last), opener = OPENER_OF.get(ch);
    if (!isTrimmable(ch) || (opener && text.slice(s, last).includes(opener))) break;
    e = last;
  }

  while (insideWord(text, s)) s = prev(text, s);
  while (insideWord(text, e)) e = next(text, e);
  return [map.toCodePoint(s), map.toCodePoint(e)];
}

// --- the DOM ------------------------------------------------------------------------

function textNodes(container) {
  const walker = container.ownerDocument.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  return nodes;
}

// UTF-16 offset in the container's text of a boundary point inside the container.
function unitsBefore(container, node, offset) {
  if (node.nodeType === Node.TEXT_NODE) {
    let units = 0;
    for (const t of textNodes(container)) {
      if (t === node) return units + offset;
      units += t.data.length;
    }
  }
  const probe = container.ownerDocument.createRange();
  probe.setStart(container, 0);
  probe.setEnd(node, offset);
  return probe.toString().length;
}

/**
 * Code-point offsets {start, end} of a DOM Range, clipped to the container; null when
 * nothing of the container is selected. Not snapped: pass them to snapToWords.
 */
export function rangeToOffsets(container, range) {
  const text = container.textContent;
  const whole = container.ownerDocument.createRange();
  whole.selectNodeContents(container);
  const point = (node, offset) => {
    const where = whole.comparePoint(node, offset);
    if (where !== 0) return where < 0 ? 0 : text.length;
    return unitsBefore(container, node, offset);
  };
  let a = point(range.startContainer, range.startOffset);
  let b = point(range.endContainer, range.endOffset);
  if (a >= b) return null;
  // A boundary between the halves of a surrogate pair widens to the whole character.
  if (splitsPair(text, a)) a -= 1;
  if (splitsPair(text, b)) b += 1;
  const map = mapFor(text);
  return { start: map.toCodePoint(a), end: map.toCodePoint(b) };
}

/**
 * The snapped span {start, end, quote} of the current selection inside the container,
 * or null when the selection is empty, outside it, or holds no word.
 */
export function selectedSpan(container, selection = container.ownerDocument.getSelection()) {
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const raw = rangeToOffsets(container, selection.getRangeAt(0));
  if (!raw) return null;
  const text = container.textContent;
  const snapped = snapToWords(text, raw.start, raw.end);
  if (!snapped) return null;
  const [start, end] = snapped;
  return { start, end, quote: sliceCodePoints(text, start, end) };
}

/**
 * Where UTF-16 offset `unit` falls among consecutive text nodes of the given lengths:
 * [node index, offset in it]. At a node edge the start of a range prefers the next
 * node and its end the previous one, so a range never begins or ends in a neighbour.
 */
export function locateUnit(lengths, unit, isStart) {
  let before = 0;
  for (let i = 0; i < lengths.length; i++) {
    const after = before + lengths[i];
    if (unit < after || (unit === after && !isStart)) return [i, unit - before];
    before = after;
  }
  return [lengths.length - 1, lengths[lengths.length - 1]]; // unit is the very end
}

/** A DOM Range over code-point offsets [start, end) of the container's text. */
export function offsetsToRange(container, start, end) {
  const map = mapFor(container.textContent);
  const range = container.ownerDocument.createRange();
  const nodes = textNodes(container);
  if (nodes.length === 0) {
    range.selectNodeContents(container);
    return range;
  }
  const lengths = nodes.map((node) => node.data.length);
  const [si, so] = locateUnit(lengths, map.toUtf16(start), true);
  const [ei, eo] = locateUnit(lengths, map.toUtf16(end), false);
  range.setStart(nodes[si], so);
  range.setEnd(nodes[ei], eo);
  return range;
}
