"""The language-model suggester's endpoint (``annotate.suggest.llm``): its settings
(``LLMConfig``), the errors, and the HTTP client — a timeout, retries with exponential
backoff on timeouts, connection errors, 429 and 5xx (``Retry-After`` honoured), never a
redirect, at most ``max_concurrency`` requests at a time per process, answers read up to a
size bound. Stdlib only (``urllib``)."""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_ANSWER_BYTES = 4 * 1024 * 1024
MAX_WAIT_SECONDS = 120.0
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
RESPONSE_FORMATS = ("json_schema", "json_object", "none")


class LLMError(Exception):
    """The language model gave no usable answer; nothing of the article is written."""


class LLMNotConfigured(LLMError):
    """CLAIMDESK_LLM_BASE_URL or CLAIMDESK_LLM_MODEL is missing or invalid."""


class LLMUnavailable(LLMError):
    """The endpoint did not answer (timeouts, connection errors, 429/5xx after the
    retries) or refused the request (another 4xx)."""


class LLMBadAnswer(LLMError):
    """The endpoint answered, but not with the JSON asked for."""


def parse_price(value: str) -> tuple[float | None, float | None]:
    """``"0.5"`` (per 1,000 tokens, in and out) or ``"0.15,0.6"`` (in, out); ``""``: none."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    if not parts:
        return None, None
    if len(parts) > 2:
        raise LLMNotConfigured(f"CLAIMDESK_LLM_PRICE_PER_1K: one or two prices, not {value!r}")
    try:
        prices = [float(p) for p in parts]
    except ValueError as error:
        raise LLMNotConfigured(f"CLAIMDESK_LLM_PRICE_PER_1K is not a number: {value!r}") from error
    if not all(math.isfinite(p) and p >= 0 for p in prices):
        raise LLMNotConfigured(f"CLAIMDESK_LLM_PRICE_PER_1K must be ≥ 0: {value!r}")
    return prices[0], prices[-1]


@dataclass(frozen=True)
class LLMConfig:
    base_url: str  # up to …/v1 (or the full …/chat/completions address)
    model: str
    api_key: str = ""
    timeout: float = 120.0  # seconds per request
    max_retries: int = 3
    max_concurrency: int = 2  # requests at a time, per process
    max_tokens: int = 2048  # of each answer
    chunk_tokens: int = 2000  # of article text per request (estimated)
    response_format: str = "json_schema"
    price_in: float | None = None  # per 1,000 prompt tokens
    price_out: float | None = None  # per 1,000 completion tokens
    backoff: float = 1.0  # seconds before the first retry, doubled each time

    def __post_init__(self) -> None:
        if not self.base_url or not self.model:
            raise LLMNotConfigured("Set CLAIMDESK_LLM_BASE_URL and CLAIMDESK_LLM_MODEL.")
        if not re.match(r"^https?://[^/\s]+", self.base_url):
            raise LLMNotConfigured(
                f"CLAIMDESK_LLM_BASE_URL must be an http(s) address, not {self.base_url!r}."
            )
        if self.response_format not in RESPONSE_FORMATS:
            raise LLMNotConfigured(
                f"CLAIMDESK_LLM_RESPONSE_FORMAT must be one of {', '.join(RESPONSE_FORMATS)}."
            )
        if not (self.timeout > 0 and self.max_retries >= 0 and self.max_concurrency >= 1):
            raise LLMNotConfigured("The LLM timeout, retries and concurrency must be positive.")
        if self.max_tokens < 1 or self.chunk_tokens < 50:
            raise LLMNotConfigured("CLAIMDESK_LLM_MAX_TOKENS ≥ 1, CLAIMDESK_LLM_CHUNK_TOKENS ≥ 50.")

    @classmethod
    def from_settings(cls) -> LLMConfig:
        from django.conf import settings

        price_in, price_out = parse_price(getattr(settings, "CLAIMDESK_LLM_PRICE_PER_1K", ""))
        return cls(
            base_url=settings.CLAIMDESK_LLM_BASE_URL,
            model=settings.CLAIMDESK_LLM_MODEL,
            api_key=settings.CLAIMDESK_LLM_API_KEY,
            timeout=float(settings.CLAIMDESK_LLM_TIMEOUT),
            max_retries=int(settings.CLAIMDESK_LLM_MAX_RETRIES),
            max_concurrency=int(settings.CLAIMDESK_LLM_MAX_CONCURRENCY),
            max_tokens=int(settings.CLAIMDESK_LLM_MAX_TOKENS),
            chunk_tokens=int(settings.CLAIMDESK_LLM_CHUNK_TOKENS),
            response_format=settings.CLAIMDESK_LLM_RESPONSE_FORMAT,
            price_in=price_in,
            price_out=price_out,
        )

    @property
    def endpoint(self) -> str:
        url = self.base_url.rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


# --- The endpoint -----------------------------------------------------------------------

_SEMAPHORES: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def _semaphore(config: LLMConfig) -> threading.BoundedSemaphore:
    """One per endpoint and limit in the process: runs side by side share the limit."""
    key = (config.endpoint, config.max_concurrency)
    with _SEMAPHORES_LOCK:
        if key not in _SEMAPHORES:
            _SEMAPHORES[key] = threading.BoundedSemaphore(config.max_concurrency)
        return _SEMAPHORES[key]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the request (and its API key) goes nowhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header's wait in seconds (a number or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def _brief(raw: bytes) -> str:
    text = raw[:300].decode("utf-8", errors="replace")
    return " ".join(text.split())


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class Client:
    """POSTs chat completions with retries; ``sleep`` (default: ``_sleep``, looked up
    when waiting) is replaceable for tests."""

    def __init__(self, config: LLMConfig, sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self.sleep = sleep
        self.opener = urllib.request.build_opener(_NoRedirect)

    def complete(self, payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The answer's JSON and how many retries it took (a retry waits ``Retry-After``
        when the endpoint says, else ``backoff`` doubled each time)."""
        data = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            request = urllib.request.Request(
                self.config.endpoint, data=data, headers=headers, method="POST"
            )
            try:
                with (
                    _semaphore(self.config),
                    self.opener.open(request, timeout=self.config.timeout) as answer,
                ):
                    body = answer.read(MAX_ANSWER_BYTES + 1)
                return _answer_json(body), attempt
            except urllib.error.HTTPError as error:
                detail = _brief(error.read(300) if error.fp else b"")
                if error.code not in RETRY_STATUSES or last:
                    raise LLMUnavailable(
                        f"The LLM endpoint answered {error.code}"
                        f"{' after ' + str(attempt) + ' retries' if attempt else ''}"
                        f"{': ' + detail if detail else ''}."
                    ) from error
                wait = retry_after_seconds(error.headers.get("Retry-After"))
            except (
                urllib.error.URLError,
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as error:
                if last:
                    reason = getattr(error, "reason", None) or error
                    raise LLMUnavailable(
                        f"No answer from the LLM endpoint ({type(error).__name__}: {reason}) "
                        f"after {attempt + 1} attempts."
                    ) from error
                wait = None
            (self.sleep or _sleep)(wait if wait is not None else self.config.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _answer_json(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_ANSWER_BYTES:
        raise LLMBadAnswer(f"The LLM's answer is larger than {MAX_ANSWER_BYTES:,} bytes.")
    try:
        found = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise LLMBadAnswer(f"The LLM endpoint's answer is not JSON: {_brief(body)!r}") from error
    if not isinstance(found, dict):
        raise LLMBadAnswer("The LLM endpoint's answer is not a JSON object.")
    return found


def message_content(answer: dict[str, Any]) -> str:
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LLMBadAnswer("The LLM endpoint's answer has no choices.")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise LLMBadAnswer("The LLM endpoint's answer has no message content.")
    return content


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def token_usage(answer: dict[str, Any]) -> tuple[int, int]:
    usage = answer.get("usage")
    if not isinstance(usage, dict):
        return 0, 0
    return _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))
