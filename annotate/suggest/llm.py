"""The language-model suggester: any OpenAI-compatible chat endpoint (``POST …/v1/chat/
completions``: Ollama, vLLM, llama.cpp's server, hosted APIs), configured by the
``CLAIMDESK_LLM_*`` settings (``LLMConfig.from_settings``).

Each article is cut into chunks of whole paragraphs within a token budget; each chunk
goes to the endpoint with the project's scheme (the values allowed for each label), its
stance targets and the registry's sources named in the chunk (bounded), asking for JSON
(``response_format``: a JSON schema, or a JSON object for servers without schemas).

**Offsets never come from the model.** Each proposed quote is looked up in the chunk it
was read from: exactly, then with whitespace, quotation marks, dashes and letter case
normalised, mapped back to code-point offsets of the article. A quote that is not there
is dropped and counted (``Usage.quotes_not_found``); a label value the scheme does not
allow is dropped (the claim stays, without it) and counted; a source is the registry
entry with the id given, else the entry with that name or alias, else a new source
proposed by name.

The endpoint is called with a timeout, retried with exponential backoff on timeouts,
connection errors, 429 and 5xx (a ``Retry-After`` header is honoured), never redirected,
at most ``max_concurrency`` requests at a time per process. Answers are read up to a size
bound and parsed defensively. An article whose chunks cannot all be read fails as a
whole (``LLMUnavailable`` / ``LLMBadAnswer``): the caller writes nothing of it. Tokens
(the answers' ``usage``), cost and the counts above accumulate in ``LLMSuggester.usage``,
one per suggester, i.e. per run. The endpoint's settings and client are in
``llm_client``, the quote lookup and the chunks in ``llm_text``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from annotate.suggest.base import (
    ATTRIBUTIONS,
    AUTHOR,
    DIRECT,
    PROPOSED_LABELS,
    REPORTED,
    ProjectContext,
    Proposal,
    RegistryEntry,
    TargetEntry,
)
from annotate.suggest.llm_client import (
    Client,
    LLMBadAnswer,
    LLMConfig,
    LLMError,
    LLMNotConfigured,
    LLMUnavailable,
    message_content,
    token_usage,
)
from annotate.suggest.llm_text import chunks, locate, locate_near, normalised
from corpus.text import search_key

logger = logging.getLogger(__name__)

PROMPT_VERSION = "1"
CHARS_PER_TOKEN = 4  # a rough estimate for chunking; the endpoint counts the real tokens
MAX_CLAIMS_PER_CHUNK = 200
MAX_QUOTE_CHARS = 20_000
MAX_PROMPT_SOURCES = 150
MAX_PROMPT_ALIASES = 8
MAX_PROMPT_TARGETS = 50
MAX_NAME_CHARS = 300
_ATTRIBUTION_HELP = {
    DIRECT: "a quotation of the source's own words",
    REPORTED: "indirect speech or paraphrase attributed to a source (X said that …)",
    AUTHOR: "the writer's own judgement or forecast, attributed to nobody else",
}


@dataclass
class Usage:
    """What one suggester (one run) spent and dropped."""

    requests: int = 0  # answered requests
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None  # with a price set
    chunks: int = 0
    proposed: int = 0  # claims in the answers
    kept: int = 0  # proposals made of them
    quotes_not_found: int = 0  # quotes that are not in the text: dropped
    malformed_claims: int = 0  # items that are not claims (no quote, not an object): dropped
    labels_dropped: int = 0  # label values or stances the scheme does not allow: dropped
    sources_unresolved: int = 0  # a source id not in the registry, with no name
    mentions_not_found: int = 0  # the claim stays, without its mention

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_tokens": self.total_tokens}


_FENCE_RE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def parse_claims(content: str) -> list[Any]:
    """The ``claims`` of the model's JSON (a bare list is accepted; code fences and text
    around the object are ignored), at most ``MAX_CLAIMS_PER_CHUNK`` + 1 of them."""
    text = _FENCE_RE.sub("", content.strip())
    if text[:1] not in "{[":
        first = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if first < 0:
            raise LLMBadAnswer(f"The LLM did not answer with JSON: {text[:120]!r}")
        text = text[first:]
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        try:  # trailing prose after the object
            found, _ = json.JSONDecoder().raw_decode(text)
        except (ValueError, RecursionError) as error:
            raise LLMBadAnswer(f"The LLM's JSON is malformed: {text[:120]!r}") from error
    if isinstance(found, dict):
        found = found.get("claims")
    if not isinstance(found, list):
        raise LLMBadAnswer("The LLM's JSON has no list of claims.")
    return found[: MAX_CLAIMS_PER_CHUNK + 1]


# --- The prompt -------------------------------------------------------------------------


def _values(scheme: dict[str, Any], name: str) -> list[tuple[str, str]]:
    """(value, help) of a choice field the annotators see; [] when hidden or absent."""
    spec = (scheme.get("fields") or {}).get(name)
    if not isinstance(spec, dict) or spec.get("hidden"):
        return []
    out = []
    for item in spec.get("values") or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            out.append((item["value"], str(item.get("help") or item.get("label") or "")))
    return out


def _one_line(value: str, limit: int = MAX_NAME_CHARS) -> str:
    return " ".join(value.split())[:limit]


def sources_in(chunk: str, registry: Sequence[RegistryEntry]) -> list[RegistryEntry]:
    """The registry entries named in the chunk (name, alias or a person's surname), at most
    ``MAX_PROMPT_SOURCES``: the prompt stays bounded however large the registry."""
    key = f" {search_key(chunk)} "
    out = []
    for entry in registry:
        names = [entry.name, *entry.aliases]
        if entry.kind == "person" and len(entry.name.split()) > 1:
            names.append(entry.name.split()[-1])
        if any((k := search_key(n)) and f" {k} " in key for n in names):
            out.append(entry)
            if len(out) >= MAX_PROMPT_SOURCES:
                break
    return out


@dataclass
class Prompt:
    attributions: list[str]
    labels: dict[str, list[str]]
    stances: list[str]
    targets: dict[int, str]

    @classmethod
    def of(cls, scheme: dict[str, Any], targets: Sequence[TargetEntry]) -> Prompt:
        attributions = [v for v, _ in _values(scheme, "attribution") if v in ATTRIBUTIONS]
        labels = {
            name: [v for v, _ in found]
            for name in PROPOSED_LABELS
            if (found := _values(scheme, name))
        }
        stance_spec = (scheme.get("fields") or {}).get("stances")
        stances_on = isinstance(stance_spec, dict) and not stance_spec.get("hidden")
        stances = [v for v, _ in _values(scheme, "stance")] if stances_on and targets else []
        shown = {t.id: _one_line(t.name) for t in list(targets)[:MAX_PROMPT_TARGETS]}
        return cls(attributions or list(ATTRIBUTIONS), labels, stances, shown if stances else {})

    def schema(self) -> dict[str, Any]:
        claim: dict[str, Any] = {
            "quote": {"type": "string"},
            "attribution": {"type": "string", "enum": self.attributions},
            "source_id": {"type": ["integer", "null"]},
            "source_name": {"type": "string"},
            "mention": {"type": "string"},
        }
        for name, values in self.labels.items():
            claim[name] = {"type": "string", "enum": values}
        if self.stances:
            claim["stances"] = {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "target": {"type": "integer", "enum": sorted(self.targets)},
                        "stance": {"type": "string", "enum": self.stances},
                    },
                    "required": ["target", "stance"],
                },
            }
        return {
            "type": "object",
            "properties": {
                "claims": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": claim,
                        "required": ["quote", "attribution"],
                    },
                }
            },
            "required": ["claims"],
        }

    def system(self, scheme: dict[str, Any], sources: Sequence[RegistryEntry]) -> str:
        lines = [
            "You mark claims in a news article for annotators. A claim is a statement the "
            "article attributes to a source (a person, organisation, outlet or government) "
            "or the author's own judgement. For each claim give:",
            '- "quote": the claim\'s words copied exactly from the text, character for '
            "character (no changes, no ellipses, no added quotation marks);",
            '- "attribution": '
            + "; ".join(f"{a} = {_ATTRIBUTION_HELP[a]}" for a in self.attributions)
            + ";",
            '- "source_id": the id of the source in the registry below when it is one of '
            'them, else null; "source_name": the source\'s name as written in the text;',
            '- "mention": the words of the text that name the source where the claim is '
            "attributed to it (a name, “he”, “the minister”), copied exactly;",
        ]
        for name, values in self.labels.items():
            helps = dict(_values(scheme, name))
            shown = "; ".join(f"{v} = {helps[v]}" if helps.get(v) else v for v in values)
            lines.append(f'- "{name}" (optional): one of {shown};')
        if self.stances:
            lines.append(
                '- "stances" (optional): [{"target": number, "stance": one of '
                f"{', '.join(self.stances)}}}] for the targets below the claim takes a "
                "position on."
            )
        lines.append(
            'Answer with JSON only: {"claims": [...]}; an empty list when there is no claim.'
        )
        if sources:
            lines.append("Registry (id: name (kind); aliases):")
            for s in sources:
                aliases = "; ".join(_one_line(a, 100) for a in s.aliases[:MAX_PROMPT_ALIASES])
                lines.append(
                    f"{s.id}: {_one_line(s.name)} ({s.kind}){'; ' + aliases if aliases else ''}"
                )
        if self.targets:
            lines.append("Targets (number: name):")
            lines.extend(f"{i}: {name}" for i, name in self.targets.items())
        return "\n".join(lines)


# --- The suggester ----------------------------------------------------------------------


def _text(value: Any, limit: int = MAX_NAME_CHARS) -> str:
    """A one-line string of the model's, or "" (not a string, or control characters)."""
    if not isinstance(value, str):
        return ""
    cleaned = _one_line(value, limit)
    return cleaned if cleaned.isprintable() else ""


class LLMSuggester:
    """Claims proposed by a language model, located in the text by the app."""

    name = "llm"
    background = True  # runs as a background task, never inside a request

    def __init__(
        self,
        config: LLMConfig,
        *,
        scheme: dict[str, Any] | None = None,
        targets: Sequence[TargetEntry] = (),
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.scheme = scheme or {}
        self.prompt = Prompt.of(self.scheme, targets)
        self.client = Client(config, sleep)
        self.usage = Usage()
        self._lock = threading.Lock()
        model = re.sub(r"[^\w.:@+-]", "_", config.model)
        self.version = f"{PROMPT_VERSION}-{model}"[:90]

    @classmethod
    def for_context(cls, context: ProjectContext) -> LLMSuggester:
        return cls(LLMConfig.from_settings(), scheme=context.scheme, targets=context.targets)

    def _add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self.usage, name, getattr(self.usage, name) + n)

    def _charge(self, prompt_tokens: int, completion_tokens: int) -> None:
        config = self.config
        with self._lock:
            if config.price_in is None or config.price_out is None:
                return
            cost = (prompt_tokens * config.price_in + completion_tokens * config.price_out) / 1000
            self.usage.cost = (self.usage.cost or 0.0) + cost

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        pieces = chunks(article_text, self.config.chunk_tokens * CHARS_PER_TOKEN)
        if len(pieces) <= 1:
            found = [self._chunk(article_text, span, byline, registry) for span in pieces]
        else:
            workers = min(len(pieces), self.config.max_concurrency)
            with ThreadPoolExecutor(max_workers=workers) as pool:
                found = list(
                    pool.map(lambda s: self._chunk(article_text, s, byline, registry), pieces)
                )
        unique: dict[tuple[int, int], Proposal] = {}
        for proposals in found:
            for p in proposals:
                unique.setdefault((p.start, p.end), p)
        return sorted(unique.values(), key=lambda p: (p.start, -p.end))

    def messages(
        self, text: str, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[dict[str, str]]:
        sources = sources_in(text, registry)
        user = f"Byline: {_one_line(byline) or '(none)'}\n\nText:\n{text}"
        return [
            {"role": "system", "content": self.prompt.system(self.scheme, sources)},
            {"role": "user", "content": user},
        ]

    def payload(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.config.max_tokens,
            "stream": False,
        }
        if self.config.response_format == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "claims", "schema": self.prompt.schema()},
            }
        elif self.config.response_format == "json_object":
            payload["response_format"] = {"type": "json_object"}
        return payload

    def _chunk(
        self,
        text: str,
        span: tuple[int, int],
        byline: str,
        registry: Sequence[RegistryEntry],
    ) -> list[Proposal]:
        lo, hi = span
        answer, retries = self.client.complete(
            self.payload(self.messages(text[lo:hi], byline, registry))
        )
        prompt_tokens, completion_tokens = token_usage(answer)
        self._add(
            requests=1,
            retries=retries,
            chunks=1,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        self._charge(prompt_tokens, completion_tokens)
        items = parse_claims(message_content(answer))
        if len(items) > MAX_CLAIMS_PER_CHUNK:
            self._add(malformed_claims=1)
            items = items[:MAX_CLAIMS_PER_CHUNK]
        return self._proposals(text, lo, hi, items, byline, registry)

    def _proposals(
        self,
        text: str,
        lo: int,
        hi: int,
        items: list[Any],
        byline: str,
        registry: Sequence[RegistryEntry],
    ) -> list[Proposal]:
        by_id = {e.id: e for e in registry}
        by_key: dict[str, int] = {}
        for entry in registry:
            for n in (entry.name, *entry.aliases):
                by_key.setdefault(search_key(n), entry.id)
        taken: set[tuple[int, int]] = set()
        out = []
        counts = {"proposed": len(items)}

        def count(name: str) -> None:
            counts[name] = counts.get(name, 0) + 1

        for item in items:
            quote = item.get("quote") if isinstance(item, dict) else None
            if not isinstance(quote, str) or not quote.strip() or len(quote) > MAX_QUOTE_CHARS:
                count("malformed_claims")
                continue
            assert isinstance(item, dict)
            found = locate(text, quote, lo, hi, taken)
            if found is None:
                count("quotes_not_found")
                continue
            start, end = found
            attribution = item.get("attribution")
            if attribution not in self.prompt.attributions:
                count("labels_dropped")
                quoted = text[start] in '"“«„' or text[end - 1] in '"”»'
                attribution = DIRECT if quoted else REPORTED
            source_id, new_name = self._source(item, attribution, byline, by_id, by_key, count)
            mention: tuple[int, int] | None = None
            words = _text(item.get("mention"))
            if words:
                mention = locate_near(
                    text, words, (start, end), max(lo, start - 600), min(hi, end + 600)
                )
                if mention is None:
                    count("mentions_not_found")
            labels = []
            for name, allowed in self.prompt.labels.items():
                value = item.get(name)
                if value in (None, ""):
                    continue
                if value in allowed:
                    labels.append((name, str(value)))
                else:
                    count("labels_dropped")
            stances: list[tuple[int, str]] = []
            raw_stances = item.get("stances")
            for entry in raw_stances if isinstance(raw_stances, list) else []:
                target = entry.get("target") if isinstance(entry, dict) else None
                stance = entry.get("stance") if isinstance(entry, dict) else None
                if (
                    isinstance(target, int)
                    and target in self.prompt.targets
                    and stance in self.prompt.stances
                    and target not in {t for t, _ in stances}
                ):
                    stances.append((target, str(stance)))
                else:
                    count("labels_dropped")
            score = item.get("confidence")
            taken.add((start, end))
            out.append(
                Proposal(
                    start,
                    end,
                    str(attribution),
                    source_id=source_id,
                    new_source_name=new_name,
                    mention_start=mention[0] if mention else None,
                    mention_end=mention[1] if mention else None,
                    score=float(score)
                    if isinstance(score, int | float)
                    and not isinstance(score, bool)
                    and 0 <= score <= 1
                    else 0.5,
                    cue="llm",
                    labels=tuple(labels),
                    stances=tuple(stances),
                )
            )
        counts["kept"] = len(out)
        self._add(**counts)
        return out

    @staticmethod
    def _source(
        item: dict[str, Any],
        attribution: Any,
        byline: str,
        by_id: dict[int, RegistryEntry],
        by_key: dict[str, int],
        count: Callable[[str], None],
    ) -> tuple[int | None, str]:
        """(registry id, "") or (None, a new source's name) or (None, "")."""
        given = item.get("source_id")
        if isinstance(given, int) and not isinstance(given, bool) and given in by_id:
            return given, ""
        name = _text(item.get("source_name"))
        if not name and attribution == AUTHOR:
            name = _one_line(byline)
        if name:
            key = search_key(name)
            if key in by_key:
                return by_key[key], ""
            return None, name
        if given not in (None, ""):
            count("sources_unresolved")
        return None, ""


def settings_model() -> str:
    """The configured model's name (for pages; never the key)."""
    from django.conf import settings

    return str(getattr(settings, "CLAIMDESK_LLM_MODEL", ""))


def configured() -> bool:
    """Whether the settings name an endpoint and a model."""
    try:
        LLMConfig.from_settings()
    except LLMNotConfigured:
        return False
    return True


__all__ = [
    "Client",
    "LLMBadAnswer",
    "LLMConfig",
    "LLMError",
    "LLMNotConfigured",
    "LLMSuggester",
    "LLMUnavailable",
    "Usage",
    "chunks",
    "configured",
    "locate",
    "normalised",
    "parse_claims",
]
