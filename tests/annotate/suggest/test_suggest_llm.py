"""The language-model suggester against a local stub of an OpenAI-compatible endpoint
(tests/annotate/llm_stub.py; never the internet): offsets found by the app in emoji,
Cyrillic and Turkish text, quotes not in the text dropped and counted, labels checked
against the scheme, malformed answers, timeouts, 429 with Retry-After, persistent 500s
(each a clear outcome, nothing half-written), chunks and the concurrency limit, tokens and
cost per run; the background run and the project's choice of backend."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from annotate.models import Suggestion, SuggestionResponse
from annotate.suggest import Proposal, RegistryEntry, Suggester, backends
from annotate.suggest.base import ProjectContext
from annotate.suggest.llm import (
    LLMBadAnswer,
    LLMConfig,
    LLMNotConfigured,
    LLMSuggester,
    LLMUnavailable,
    chunks,
    locate,
    parse_claims,
)
from annotate.suggest.llm_client import retry_after_seconds
from annotate.suggest.services import project_suggester, registry_entries, suggestions_run
from annotate.suggest.tasks import (
    latest_suggestion_job,
    start_suggestions,
    suggestions_after_import,
)
from corpus import services as corpus_services
from corpus.models import SuggestionBackend
from tests.annotate.suggest import llm_stub
from tests.annotate.suggest.llm_stub import Answer, Stub, claims, completion, error
from tests.factories import ArticleFactory, SourceAliasFactory, SourceFactory, TargetFactory

TEXT = (
    "🙂🙂 Президент Токаев заявил: «Казахстан не будет частью   санкций». 🇹🇷\n\n"
    "İbrahim Kalın said that Türkiye’s role in the region is “growing fast”, "
    "and added: “Ankara will open three consulates.”\n"
)
KAZ = "Казахстан не будет частью   санкций"
TURKIYE = "Türkiye’s role in the region is “growing fast”"

GOOD = [
    {  # exact, a registry source by id
        "quote": KAZ,
        "attribution": "direct",
        "source_id": None,  # filled in by the test: the registry id
        "source_name": "Токаев",
        "mention": "Токаев",
        "claim_type": "predictive",
        "source_reliability": "Z",  # not in the scheme: dropped, counted
    },
    {  # typed with plain quotes and one space: found by normalising
        "quote": 'Türkiye\'s role in the region is "growing fast"',
        "attribution": "reported",
        "source_id": None,
        "source_name": "İbrahim Kalın",
        "mention": "İbrahim Kalın",
        "stances": [],  # filled in: one valid target, one unknown
    },
    {  # not in the text: dropped, counted
        "quote": "Russia will leave Central Asia by 2030",
        "attribution": "reported",
        "source_name": "İbrahim Kalın",
    },
    {"attribution": "direct"},  # no quote: malformed, dropped
]


@pytest.fixture
def stub() -> Iterator[Stub]:
    with llm_stub.running() as found:
        yield found


@pytest.fixture
def llm(settings: Any, stub: Stub) -> Stub:
    """The LLM settings pointing at the stub; short timeouts, no waiting between retries."""
    settings.CLAIMDESK_LLM_BASE_URL = stub.url
    settings.CLAIMDESK_LLM_MODEL = "qwen2.5:7b-instruct"
    settings.CLAIMDESK_LLM_API_KEY = "sk-test"
    settings.CLAIMDESK_LLM_TIMEOUT = 2.0
    settings.CLAIMDESK_LLM_MAX_RETRIES = 2
    settings.CLAIMDESK_LLM_MAX_CONCURRENCY = 2
    settings.CLAIMDESK_LLM_PRICE_PER_1K = "0.5,2"
    return stub


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries record their waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr("annotate.suggest.llm_client._sleep", waits.append)
    return waits


@pytest.fixture
def world(project: Any, llm: Stub) -> dict[str, Any]:
    corpus_services.project_update(
        project=project, suggestions_enabled=True, suggestion_backend="llm"
    )
    tokayev = SourceFactory(project=project, name="Kassym-Jomart Tokayev", kind="person")
    SourceAliasFactory(source=tokayev, alias="Токаев")
    target = TargetFactory(project=project, name="Turkey's influence in Central Asia")
    article = ArticleFactory(project=project, text=TEXT, byline="")
    good = json.loads(json.dumps(GOOD))
    good[0]["source_id"] = tokayev.pk
    good[1]["stances"] = [
        {"target": target.pk, "stance": "favor"},
        {"target": 999_999, "stance": "favor"},
    ]
    return {
        "project": project,
        "article": article,
        "tokayev": tokayev,
        "target": target,
        "good": good,
    }


def run(world: dict[str, Any]) -> Any:
    return suggestions_run(project=world["project"])


# --- Good answers -----------------------------------------------------------------------


def test_good_answer_lands_at_the_code_points_of_the_text(world: dict[str, Any], llm: Stub) -> None:
    llm.script = [claims(*world["good"], prompt_tokens=300, completion_tokens=80)]
    report = run(world)
    assert report.state == "done" and report.done == 1 and report.created == 2
    rows = {s.quote: s for s in Suggestion.objects.filter(article=world["article"])}
    assert set(rows) == {KAZ, TURKIYE}
    kaz, tur = rows[KAZ], rows[TURKIYE]
    # Code points: the two emoji before are two code points each, not four UTF-16 units.
    assert (kaz.start, kaz.end) == (TEXT.index(KAZ), TEXT.index(KAZ) + len(KAZ))
    assert TEXT[tur.start : tur.end] == TURKIYE
    assert kaz.source_id == world["tokayev"].pk and kaz.attribution == "direct"
    assert TEXT[kaz.mention_start : kaz.mention_end] == "Токаев"
    assert tur.source_id is None and tur.new_source_name == "İbrahim Kalın"
    assert TEXT[tur.mention_start : tur.mention_end] == "İbrahim Kalın"
    assert kaz.labels == {"claim_type": "predictive"}  # the Z reliability dropped
    assert tur.labels == {"stances": [{"target": world["target"].pk, "stance": "favor"}]}
    assert kaz.suggester == "llm/1-qwen2.5:7b-instruct"
    usage = report.usage
    assert usage["proposed"] == 4 and usage["kept"] == 2
    assert usage["quotes_not_found"] == 1 and usage["malformed_claims"] == 1
    assert usage["labels_dropped"] == 2  # reliability Z, the unknown target
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (300, 80)
    assert usage["cost"] == pytest.approx(300 / 1000 * 0.5 + 80 / 1000 * 2)
    assert usage["requests"] == 1 and usage["retries"] == 0


def test_the_request_carries_scheme_targets_registry_and_a_json_schema(
    world: dict[str, Any], llm: Stub
) -> None:
    SourceFactory(project=world["project"], name="Nobody In This Text")
    run(world)
    (request,) = llm.requests
    assert request["_path"] == "/v1/chat/completions"
    assert request["model"] == "qwen2.5:7b-instruct" and request["temperature"] == 0
    assert request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]["schema"]
    item = schema["properties"]["claims"]["items"]["properties"]
    assert item["attribution"]["enum"] == ["author", "direct", "reported"]  # not "unnamed"
    assert item["claim_type"]["enum"] == ["factual", "evaluative", "predictive", "prescriptive"]
    assert "checkworthy" not in item  # hidden in the default scheme
    system, user = request["messages"][0]["content"], request["messages"][1]["content"]
    assert f"{world['tokayev'].pk}: Kassym-Jomart Tokayev (person); Токаев" in system
    assert "Nobody In This Text" not in system  # only the sources named in the text
    assert f"{world['target'].pk}: Turkey's influence in Central Asia" in system
    assert user.endswith(TEXT)
    assert llm.headers[0]["Authorization"] == "Bearer sk-test"


def test_a_fenced_answer_with_prose_is_read(world: dict[str, Any], llm: Stub) -> None:
    content = "Here you are:\n```json\n" + json.dumps({"claims": [world["good"][0]]}) + "\n```"
    llm.script = [completion(content)]
    assert run(world).created == 1


def test_a_rerun_replaces_unanswered_and_keeps_answered(
    world: dict[str, Any], llm: Stub, annotator: Any
) -> None:
    llm.script = [claims(*world["good"])]
    run(world)
    answered = Suggestion.objects.get(quote=KAZ)
    SuggestionResponse.objects.create(suggestion=answered, annotator=annotator, action="dismissed")
    llm.script = [claims(world["good"][0])]
    report = run(world)
    assert report.created == 0  # the same span by the same suggester is not made again
    assert list(Suggestion.objects.values_list("quote", flat=True)) == [KAZ]


# --- Failures: a clear outcome, nothing half-written -------------------------------------


def _before(world: dict[str, Any], llm: Stub) -> list[tuple[int, int]]:
    llm.script = [claims(*world["good"])]
    run(world)
    return sorted(Suggestion.objects.values_list("start", "end"))


@pytest.mark.parametrize(
    "content",
    ['{"claims": [{"quote": "Казахстан', "I could not find any claims.", '{"claims": 3}'],
)
def test_malformed_json_skips_the_article_and_writes_nothing(
    world: dict[str, Any], llm: Stub, content: str
) -> None:
    before = _before(world, llm)
    llm.script = [completion(content)]
    report = run(world)
    assert report.state == "done" and report.done == 0 and report.skipped == 1
    assert report.failures[0]["article"] == world["article"].pk
    assert "JSON" in report.failures[0]["error"] or "claims" in report.failures[0]["error"]
    assert sorted(Suggestion.objects.values_list("start", "end")) == before


def test_an_answer_that_is_not_json_at_all(world: dict[str, Any], llm: Stub) -> None:
    llm.script = [Answer(200, b"<html>502 Bad Gateway</html>")]
    report = run(world)
    assert report.skipped == 1 and "not JSON" in report.failures[0]["error"]
    assert not Suggestion.objects.exists()


def test_timeouts_fail_the_run_after_the_retries(
    world: dict[str, Any], llm: Stub, settings: Any, no_wait: list[float]
) -> None:
    before = _before(world, llm)
    settings.CLAIMDESK_LLM_TIMEOUT = 0.3
    settings.CLAIMDESK_LLM_MAX_RETRIES = 1
    llm.default = lambda request: Answer(body=b"{}", delay=1.5)
    report = run(world)
    assert report.state == "failed" and report.done == 0
    assert "No answer from the LLM endpoint" in report.error and "2 attempts" in report.error
    assert len(llm.requests) == 1 + 2  # the first run's, then two attempts
    assert no_wait == [1.0]  # backoff before the one retry
    assert sorted(Suggestion.objects.values_list("start", "end")) == before


def test_429_then_success_honours_retry_after(
    world: dict[str, Any], llm: Stub, no_wait: list[float]
) -> None:
    llm.script = [error(429, retry_after="7"), error(503), claims(*world["good"])]
    report = run(world)
    assert report.state == "done" and report.created == 2
    assert no_wait == [7.0, 2.0]  # Retry-After, then the backoff of the second retry
    assert report.usage["retries"] == 2 and report.usage["requests"] == 1


def test_persistent_500_fails_clearly_and_writes_nothing(
    world: dict[str, Any], llm: Stub, no_wait: list[float]
) -> None:
    before = _before(world, llm)
    second = ArticleFactory(project=world["project"], text="Another text, said nobody.")
    llm.default = lambda request: error(500)
    report = run(world)
    assert report.state == "failed" and report.done == 0
    assert "answered 500 after 2 retries" in report.error and "stub 500" in report.error
    assert sorted(no_wait) in ([1.0, 2.0], [1.0, 1.0, 2.0, 2.0])  # two articles at once
    assert sorted(Suggestion.objects.values_list("start", "end")) == before
    assert not Suggestion.objects.filter(article=second).exists()


def test_a_client_error_is_not_retried(world: dict[str, Any], llm: Stub) -> None:
    llm.script = [error(400)]
    report = run(world)
    assert report.state == "failed" and "answered 400" in report.error
    assert len(llm.requests) == 1


def test_a_redirect_is_not_followed(world: dict[str, Any], llm: Stub) -> None:
    llm.script = [Answer(302, b"", {"Location": "http://example.org/steal"})]
    report = run(world)
    assert report.state == "failed" and "answered 302" in report.error
    assert len(llm.requests) == 1


def test_an_oversized_answer_is_refused(
    world: dict[str, Any], llm: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("annotate.suggest.llm_client.MAX_ANSWER_BYTES", 1000)
    llm.script = [claims(*world["good"] * 10)]
    report = run(world)
    assert report.skipped == 1 and "larger than" in report.failures[0]["error"]


def test_one_bad_article_among_good_ones(world: dict[str, Any], llm: Stub) -> None:
    """A malformed answer skips its article only; the others are written."""
    other = ArticleFactory(project=world["project"], text="“We will win,” said Kalın.")
    by_text = {
        TEXT: claims(*world["good"]),
        other.text: completion("{oops"),
    }
    llm.default = lambda request: by_text[request["messages"][1]["content"].split("Text:\n")[1]]
    report = run(world)
    assert (report.done, report.skipped, report.state) == (1, 1, "done")
    assert not Suggestion.objects.filter(article=other).exists()
    assert Suggestion.objects.filter(article=world["article"]).count() == 2


# --- Chunks and concurrency --------------------------------------------------------------


def test_long_articles_are_chunked_by_paragraph_and_sent_in_parallel(
    world: dict[str, Any], llm: Stub, settings: Any
) -> None:
    settings.CLAIMDESK_LLM_CHUNK_TOKENS = 60  # about 240 characters a chunk
    paragraphs = [f"Paragraph {i}: “Claim number {i} is here,” said Kalın. " * 3 for i in range(6)]
    text = "\n\n".join(paragraphs) + "\n"
    article = ArticleFactory(project=world["project"], text=text, byline="")

    def answer(request: dict[str, Any]) -> Answer:
        chunk = request["messages"][1]["content"].split("Text:\n", 1)[1]
        i = chunk.split(":")[0].removeprefix("Paragraph ")
        return Answer(
            body=claims({"quote": f"Claim number {i} is here", "attribution": "direct"}).body,
            delay=0.2,
        )

    llm.default = answer
    report = suggestions_run(project=world["project"], article_ids=[article.pk])
    assert report.usage["chunks"] == 6 and report.created == 6
    assert llm.most_in_flight == 2  # CLAIMDESK_LLM_MAX_CONCURRENCY
    for s in Suggestion.objects.filter(article=article):
        assert text[s.start : s.end] == s.quote
        # Found in its own chunk: the paragraph that has the number, not the first one.
        number = s.quote.split()[2]
        assert text.rfind("Paragraph ", 0, s.start) == text.index(f"Paragraph {number}:")


def test_chunks_keep_paragraphs_whole_within_the_budget() -> None:
    text = "aaa\n\nbbbb\ncc\n" + "Dd. " * 30
    spans = chunks(text, 12)
    assert spans[0] == (0, 10) and spans[1] == (10, 13)
    assert "".join(text[a:b] for a, b in spans) == text  # contiguous, nothing lost
    assert all(b - a <= 12 for a, b in spans)


# --- Locating quotes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("Казахстан не будет частью   санкций", KAZ),  # exact
        ("«Казахстан не будет частью санкций»", "«Казахстан не будет частью   санкций»"),
        ('"Казахстан не будет частью санкций"', "«Казахстан не будет частью   санкций»"),
        ("“Türkiye’s role", "Türkiye’s role"),  # an opening mark the text lacks
        ("türkiye's ROLE in the region", "Türkiye’s role in the region"),  # case, apostrophe
        ("İbrahim Kalın said", "İbrahim Kalın said"),  # Turkish capitals as they are
        ("Ankara will open three consulates.", "Ankara will open three consulates."),
    ],
)
def test_locate_maps_back_to_code_points(quote: str, expected: str) -> None:
    found = locate(TEXT, quote)
    assert found is not None and TEXT[found[0] : found[1]] == expected


@pytest.mark.parametrize(
    "quote", ["", "   ", "Kazakhstan will not join the sanctions", "Ibrahim Kalin said"]
)
def test_locate_finds_nothing_that_is_not_there(quote: str) -> None:
    assert locate(TEXT, quote) is None


def test_locate_takes_the_next_occurrence_when_one_is_taken() -> None:
    text = "“Yes,” he said. Later: “Yes,” she said."
    first = locate(text, "Yes")
    assert first == (1, 4)
    assert locate(text, "Yes", taken={first}) == (text.rindex("Yes"), text.rindex("Yes") + 3)


def test_parse_claims_bounds_and_shapes() -> None:
    assert parse_claims('[{"quote": "a"}]') == [{"quote": "a"}]
    with pytest.raises(LLMBadAnswer):
        parse_claims("[" * 100_000)
    with pytest.raises(LLMBadAnswer):
        parse_claims('{"answer": []}')
    assert len(parse_claims(json.dumps({"claims": [{}] * 1000}))) == 201


def test_retry_after_as_seconds_or_a_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:10 GMT", now=1767225600.0) == 10.0
    assert retry_after_seconds("99999") == 120.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_configuration_is_checked(settings: Any) -> None:
    settings.CLAIMDESK_LLM_BASE_URL = ""
    with pytest.raises(LLMNotConfigured):
        LLMConfig.from_settings()
    settings.CLAIMDESK_LLM_BASE_URL = "file:///etc/passwd"
    settings.CLAIMDESK_LLM_MODEL = "m"
    with pytest.raises(LLMNotConfigured, match="http"):
        LLMConfig.from_settings()
    settings.CLAIMDESK_LLM_BASE_URL = "http://127.0.0.1:9/v1"
    settings.CLAIMDESK_LLM_PRICE_PER_1K = "cheap"
    with pytest.raises(LLMNotConfigured, match="PRICE"):
        LLMConfig.from_settings()


# --- Backends, the project's choice, the background run --------------------------------


def test_backend_names_are_the_projects_choices() -> None:
    assert set(backends.BACKENDS) == set(SuggestionBackend.values)
    assert backends.runs_in_background("llm") and not backends.runs_in_background("rules")


@pytest.mark.parametrize("name", sorted(backends.BACKENDS))
def test_each_backend_through_the_suggester_interface(name: str, llm: Stub) -> None:
    text = "“Ankara will open three consulates in the region,” said İbrahim Kalın on Monday."
    llm.script = [
        claims(
            {
                "quote": "Ankara will open three consulates in the region",
                "attribution": "direct",
                "source_id": 1,
                "mention": "İbrahim Kalın",
            }
        )
    ]
    registry = [RegistryEntry(1, "İbrahim Kalın", "person", ("Kalın",))]
    suggester = backends.build(name, ProjectContext(scheme={}, targets=()))
    assert isinstance(suggester, Suggester)
    assert suggester.name == name and suggester.version
    proposals = suggester.suggest(text, byline="", registry=registry)
    assert proposals and all(isinstance(p, Proposal) for p in proposals)
    best = proposals[0]
    assert "Ankara will open three consulates" in text[best.start : best.end]
    assert best.source_id == 1


def test_the_llm_backend_raises_rather_than_returning_half(llm: Stub) -> None:
    llm.default = lambda request: error(500)
    suggester = LLMSuggester(
        LLMConfig(base_url=llm.url, model="m", max_retries=0, timeout=2), scheme={}
    )
    with pytest.raises(LLMUnavailable):
        suggester.suggest("Some text.", byline="", registry=[])


def test_choosing_the_backend_goes_through_the_service(project: Any, settings: Any) -> None:
    settings.CLAIMDESK_LLM_BASE_URL = ""
    with pytest.raises(ValidationError, match="not configured"):
        corpus_services.project_update(project=project, suggestion_backend="llm")
    with pytest.raises(ValidationError, match="Unknown suggester"):
        corpus_services.project_update(project=project, suggestion_backend="oracle")
    project.refresh_from_db()
    assert project.suggestion_backend == "rules"
    settings.CLAIMDESK_LLM_BASE_URL = "http://127.0.0.1:9/v1"
    settings.CLAIMDESK_LLM_MODEL = "m"
    corpus_services.project_update(project=project, suggestion_backend="llm")
    project.refresh_from_db()
    assert project.suggestion_backend == "llm"
    assert isinstance(project_suggester(project), LLMSuggester)


def test_an_llm_run_unconfigured_since_fails_clearly(world: dict[str, Any], settings: Any) -> None:
    settings.CLAIMDESK_LLM_MODEL = ""
    report = run(world)
    assert report.state == "failed" and "CLAIMDESK_LLM_MODEL" in report.error


def test_import_hook_queues_a_background_run_with_progress(
    world: dict[str, Any], llm: Stub
) -> None:
    llm.script = [claims(*world["good"])]
    suggestions_after_import(project=world["project"], articles=[world["article"]])
    job = latest_suggestion_job(world["project"])
    assert job is not None and job["state"] == "done"  # the immediate backend ran it
    assert (job["done"], job["total"]) == (1, 1)
    assert job["report"]["created"] == 2 and job["report"]["usage"]["quotes_not_found"] == 1
    assert Suggestion.objects.filter(article=world["article"]).count() == 2


def test_a_failed_background_run_says_why(world: dict[str, Any], llm: Stub, no_wait: Any) -> None:
    llm.default = lambda request: error(503)
    job_id = start_suggestions(project=world["project"])
    job = latest_suggestion_job(world["project"])
    assert job is not None and job["id"] == job_id and job["state"] == "failed"
    assert "503" in job["error"]
    assert not Suggestion.objects.exists()


def test_registry_of_the_project_reaches_the_prompt_bounded(world: dict[str, Any]) -> None:
    registry = registry_entries(world["project"])
    suggester = project_suggester(world["project"])
    assert isinstance(suggester, LLMSuggester)
    system = suggester.messages("Токаев", "", registry * 400)[0]["content"]
    assert system.count("Kassym-Jomart Tokayev") == 150  # MAX_PROMPT_SOURCES


# --- manage.py eval_suggest --suggester llm ----------------------------------------------


def test_eval_suggest_scores_the_llm_backend(
    db: Any, llm: Stub, tmp_path: Any, settings: Any
) -> None:
    text = "“We will open three consulates next year,” Kalın said on Monday.\n"
    quote = "We will open three consulates next year"
    for sub in ("text", "attributions"):
        (tmp_path / "data" / "dev" / sub).mkdir(parents=True)
    (tmp_path / "data" / "dev" / "text" / "a1.txt").write_text(text, encoding="utf-8")
    start, mention = text.index(quote), text.index("Kalın")
    (tmp_path / "data" / "dev" / "attributions" / "a1_x.ann").write_text(
        f"T1\tCue {mention + 6} {mention + 10}\tsaid\n"
        f"T2\tSource {mention} {mention + 5}\tKalın\n"
        f"T3\tContent {start} {start + len(quote)}\t{quote}\n"
        "E1\tAttribution:T1 Source:T2 Content:T3\n",
        encoding="utf-8",
    )
    registry = tmp_path / "sources.csv"
    registry.write_text("name,kind,aliases\nİbrahim Kalın,person,Kalın\n", encoding="utf-8")
    llm.script = [
        claims(
            {"quote": quote, "attribution": "direct", "source_id": 1, "mention": "Kalın"},
            {"quote": "not in the text at all", "attribution": "reported"},
            prompt_tokens=500,
            completion_tokens=50,
        )
    ]
    out = io.StringIO()
    call_command(
        "eval_suggest",
        "--polnear",
        str(tmp_path),
        "--registry",
        str(registry),
        "--suggester",
        "llm",
        stdout=out,
    )
    printed = out.getvalue()
    assert "| overlap ≥ 0.5 | all | 1 | 1 | 1 | 1.00 | 1.00 | 1.00 | 1.00 (1) |" in printed
    assert "'quotes_not_found': 1" in printed and "'total_tokens': 550" in printed


def test_eval_suggest_says_when_the_llm_is_not_configured(db: Any, settings: Any) -> None:
    settings.CLAIMDESK_LLM_BASE_URL = ""
    with pytest.raises(CommandError, match="CLAIMDESK_LLM_BASE_URL"):
        call_command("eval_suggest", "--polnear", "/nowhere", "--suggester", "llm")


def test_suggest_command_runs_the_projects_llm(world: dict[str, Any], llm: Stub) -> None:
    llm.script = [claims(*world["good"])]
    out = io.StringIO()
    call_command("suggest", "--project", world["project"].slug, "--no-progress", stdout=out)
    assert "1/1 articles, 2 suggestions" in out.getvalue()
    llm.default = lambda request: error(400)
    with pytest.raises(CommandError, match="answered 400"):
        call_command("suggest", "--project", world["project"].slug, "--no-progress", stdout=out)


# --- The settings page ------------------------------------------------------------------


def test_the_settings_page_changes_the_backend_through_the_service(
    client: Any, manager: Any, project: Any, llm: Stub
) -> None:
    from tests.conftest import login

    login(client, manager)
    url = f"/projects/{project.slug}/suggestions/"
    page = client.get(url)
    assert page.status_code == 200 and b"qwen2.5:7b-instruct" in page.content
    answer = client.post(url, {"suggestions_enabled": "on", "suggestion_backend": "llm"})
    assert answer.status_code == 302
    project.refresh_from_db()
    assert project.suggestions_enabled and project.suggestion_backend == "llm"
    bad = client.post(url, {"suggestion_backend": "oracle"})
    assert bad.status_code == 400 and "Unknown suggester" in bad.content.decode()
    project.refresh_from_db()
    assert project.suggestions_enabled and project.suggestion_backend == "llm"


def test_the_settings_page_runs_in_the_background_and_shows_the_report(
    client: Any, manager: Any, world: dict[str, Any], llm: Stub
) -> None:
    from tests.conftest import login

    login(client, manager)
    llm.script = [claims(*world["good"], prompt_tokens=10, completion_tokens=5)]
    slug = world["project"].slug
    answer = client.post(f"/projects/{slug}/suggestions/", {"action": "run"})
    assert answer.status_code == 302
    assert Suggestion.objects.filter(article=world["article"]).count() == 2
    job = client.get(f"/projects/{slug}/suggestions/job/").content.decode()
    assert "Done: 1 of 1 articles, 2 suggestions" in job and "15 tokens" in job
    assert "1 quotes not in the text" in job


def test_only_managers_see_the_settings(
    client: Any, annotator: Any, curator: Any, project: Any
) -> None:
    from tests.conftest import login

    for user in (annotator, curator):
        login(client, user)
        assert client.get(f"/projects/{project.slug}/suggestions/").status_code == 403
        assert (
            client.post(f"/projects/{project.slug}/suggestions/", {"action": "run"}).status_code
            == 403
        )
    project.refresh_from_db()
    assert project.suggestion_backend == "rules"


def test_the_admin_refuses_an_unconfigured_llm_as_a_form_error(
    admin_client: Any, project: Any, settings: Any
) -> None:
    from tests.test_admin import admin_url, inline_management

    settings.CLAIMDESK_LLM_BASE_URL = ""
    data = {
        "name": project.name,
        "slug": project.slug,
        "description": "",
        "guidelines": "",
        "scheme": json.dumps(project.scheme),
        "suggestions_enabled": "on",
        "suggestion_backend": "llm",
        **inline_management("memberships"),
    }
    response = admin_client.post(admin_url(type(project), "change", project.pk), data)
    assert response.status_code == 200 and "not configured" in response.content.decode()
    project.refresh_from_db()
    assert project.suggestion_backend == "rules" and not project.suggestions_enabled
