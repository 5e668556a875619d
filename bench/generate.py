"""A seeded synthetic Claimdesk project for the benchmark: reproducible, realistic in shape.

``generate_project(n_articles, seed)`` writes, in big batches inside transactions — claims,
stances, articles, assignments and decisions as plain rows (COPY on PostgreSQL), the rest
with ``bulk_create`` — and without the services (they validate one claim at a time,
which the scenarios time):

* a project with the default scheme and targets, a manager, a curator and 3 annotators;
* a registry of 500 sources (persons with Turkish, Cyrillic and English names, bodies,
  outlets) with 0–3 aliases each;
* ``n_articles`` articles of ~6,000 characters of English-like text, each with a Turkish
  quote, a Cyrillic quote and one emoji, from 10 outlets, published over 2024–2025; every
  article assigned to the 3 annotators;
* 20 claims per annotator per article: the annotators mostly mark the same sentences (with
  word-level boundary jitter), sometimes another one, and disagree now and then on source,
  attribution, type, reliability and stances;
* a gold layer (accepted claims with their decisions) on half of the articles;
* one article of 15,000 characters with 300 claims by the first annotator (the workspace
  scenario) and the usual 20 of the others.

Claims carry valid offsets, quotes and context, as ``claim_create`` would store them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from annotate.claims.offsets import context
from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    Decision,
    DecisionAction,
    DecisionOrigin,
    Source,
    SourceAlias,
    SourceKind,
    Target,
)
from corpus.models import Article, Membership, Project, Role
from corpus.scheme import default_scheme
from corpus.text import search_key

SCALES = {"tiny": 5, "small": 100, "medium": 1_000, "large": 10_000, "xlarge": 20_000}
# Claims per annotator per article where a scale differs from CLAIMS_PER_ANNOTATOR: xlarge is
# 20,000 articles × 3 annotators × 35 = 2,100,000 annotator claims (+ ~350,000 gold).
CLAIMS_AT_SCALE = {"xlarge": 35}
N_SOURCES = 500
N_ANNOTATORS = 3
CLAIMS_PER_ANNOTATOR = 20
ARTICLE_CHARS = 6_000
BIG_ARTICLE_CHARS = 15_000
BIG_ARTICLE_CLAIMS = 300
ARTICLES_PER_CHUNK = 250  # one transaction per chunk keeps memory flat at large scale
BATCH = 5_000
FIRST_DAY = dt.date(2024, 1, 1)  # articles are published over two years from this day
PUBLISHED_DAYS = 731


def _split(words: str) -> list[str]:
    return words.split()


_WORDS = _split(
    "the of and to in a is that for on with as by was at from it be this are has have "
    "not or an but which its were their more also been after who would about two one "
    "government minister president region security cooperation influence trade energy "
    "pipeline summit agreement border military economic political regional officials said "
    "analysts reported according sources statement week talks leaders foreign policy "
    "investment infrastructure railway corridor gas oil market sanctions alliance partners "
    "interests dialogue relations visit delegation capital parliament election reform "
    "growth exports imports transit route strategy diplomacy project corporation bank "
    "development stability crisis conflict negotiations treaty declaration initiative "
    "organisation council committee spokesman ministry agency media report interview "
    "conference forum experts observers critics supporters citizens students workers "
    "farmers companies investors neighbours steppe mountains caspian central asian turkic "
    "kazakh uzbek kyrgyz turkmen tajik russian chinese turkish european american western "
    "eastern northern southern new old large small important significant likely possible "
    "recent current future major key strong weak rapid slow steady open closed public "
    "private national international local global historic modern traditional cultural"
)
_FIRST = _split(
    "Ahmet Mevlüt Hulusi Recep Kemal Ekrem Nursultan Kassym-Jomart Shavkat Sadyr Emomali "
    "Serdar Vladimir Sergey Yana Dmitry Maria Olga Xi Wang Li Zhang Anna John Sarah Michael "
    "David Emma Elif Zeynep Ayşe Gülnara Aigerim Timur Rustam Dilnoza Farrukh Bakhyt Erlan"
)
_LAST = _split(
    "Davutoğlu Çavuşoğlu Akar Erdoğan Kılıçdaroğlu İmamoğlu Nazarbayev Tokayev Mirziyoyev "
    "Japarov Rahmon Berdimuhamedow Danilov Lavrov Orekhova Peskov Zakharova Isachenko Wang Li "
    "Zhao Smith Brown Miller Johnson Öztürk Yılmaz Şahin Kaya Abdullayev Karimov Sultanov "
    "Akhmetov Bekov Nurlanov Sadykova Umarova"
)
_CYRILLIC = (
    "Яна Орехова",
    "Сергей Лавров",
    "Мария Захарова",
    "Дмитрий Песков",
    "Олег Исаченко",
    "Ольга Данилова",
)
_BODIES = (
    "Ministry of Foreign Affairs",
    "Organization of Turkic States",
    "Collective Security Treaty Organization",
    "Shanghai Cooperation Organisation",
    "Eurasian Economic Union",
    "Asian Development Bank",
    "Central Bank",
    "Ministry of Energy",
    "State Statistics Committee",
    "Presidential Administration",
)
_COUNTRIES = _split(
    "Kazakhstan Uzbekistan Kyrgyzstan Tajikistan Turkmenistan Türkiye Russia China Azerbaijan "
    "Mongolia Georgia Armenia Iran Pakistan Afghanistan"
)
_OUTLETS = (
    "Daily Sabah",
    "Hürriyet",
    "Известия",
    "Коммерсантъ",
    "Eurasianet",
    "New Eastern Outlook",
    "The Diplomat",
    "Xinhua",
    "Anadolu Ajansı",
    "РИА Новости",
)
_TURKISH_QUOTES = (
    "Türkiye'nin Orta Asya'daki etkisi artıyor",
    "İşbirliği güçlenecek",
    "Bölgesel istikrar önceliğimizdir",
    "Ortak geleceğimiz için çalışıyoruz",
)
_CYRILLIC_QUOTES = (
    "Мы не допустим эскалации в регионе",
    "Россия остаётся главным партнёром Центральной Азии",
    "Сотрудничество будет только расширяться",
    "Это решение было принято единогласно",
)
_EMOJI = ("🌍", "📈", "🤝", "🔥", "🛢", "⚡")
_ATTRIBUTION = ("author", "direct", "reported", "unnamed")
_TYPES = ("factual", "evaluative", "predictive", "prescriptive")
_STANCES = ("favor", "against", "none")


@dataclass
class GeneratedText:
    """A text and where its sentences and words are (code-point offsets)."""

    text: str
    title: str
    sentences: list[tuple[int, int]]
    words: list[tuple[int, int]]
    sentence_words: list[list[tuple[int, int]]]  # the words of each sentence


def _sentence(rng: random.Random, names: list[str]) -> str:
    n = rng.randint(9, 24)
    words = [rng.choice(_WORDS) for _ in range(n)]
    roll = rng.random()
    if roll < 0.25:
        words[rng.randrange(n)] = rng.choice(_COUNTRIES)
    elif roll < 0.45 and names:
        return (
            f"{' '.join(words).capitalize()}, {rng.choice(('said', 'argued', 'claimed'))} "
            f"{rng.choice(names)}."
        )
    return " ".join(words).capitalize() + "."


def make_text(rng: random.Random, chars: int, names: list[str]) -> GeneratedText:
    """English-like paragraphs of about ``chars`` code points, with a Turkish quote, a
    Cyrillic quote and one emoji, starting with a title line."""
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 9))).capitalize()
    title = f"{title}: {rng.choice(_COUNTRIES)} and {rng.choice(_COUNTRIES)}"
    parts: list[str] = [title, "\n\n"]
    pos = len(title) + 2
    sentences: list[tuple[int, int]] = []
    words: list[tuple[int, int]] = []
    sentence_words: list[list[tuple[int, int]]] = []
    specials = {
        3: f"“{rng.choice(_TURKISH_QUOTES)},” dedi {rng.choice(_FIRST)} {rng.choice(_LAST)}.",
        7: f"«{rng.choice(_CYRILLIC_QUOTES)}», — заявила {rng.choice(_CYRILLIC)} журналистам.",
        11: f"The news spread quickly online {rng.choice(_EMOJI)} across the whole region.",
    }
    k = 0
    while pos < chars:
        for i in range(rng.randint(3, 6)):
            sentence = specials.get(k) or _sentence(rng, names)
            k += 1
            if i:
                parts.append(" ")
                pos += 1
            sentences.append((pos, pos + len(sentence)))
            offset = 0
            sentence_words.append([])
            for word in sentence.split(" "):
                sentence_words[-1].append((pos + offset, pos + offset + len(word)))
                offset += len(word) + 1
            words.extend(sentence_words[-1])
            parts.append(sentence)
            pos += len(sentence)
        parts.append("\n\n")
        pos += 2
    text = "".join(parts).rstrip("\n")
    return GeneratedText(text, title, sentences, words, sentence_words)


def make_source_names(rng: random.Random, n: int = N_SOURCES) -> list[tuple[str, str, list[str]]]:
    """``n`` distinct (name, kind, aliases) for the registry."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    fixed = [(name, SourceKind.PERSON) for name in _CYRILLIC]
    fixed += [(name, SourceKind.GOVERNMENT) for name in _BODIES]
    fixed += [(name, SourceKind.OUTLET) for name in _OUTLETS]
    for name, kind in fixed:
        found[search_key(name)] = (name, kind, [])
    while len(found) < n:
        roll = rng.random()
        if roll < 0.8:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name, kind = f"{first} {last}", SourceKind.PERSON
            aliases = [last] if rng.random() < 0.6 else []
            if rng.random() < 0.3:
                aliases.append(f"{first[0]}. {last}")
        else:
            country = rng.choice(_COUNTRIES)
            body = rng.choice(_BODIES)
            name, kind = f"{body} of {country}", SourceKind.GOVERNMENT
            aliases = [f"{country} {body.split()[0]}"]
        key = search_key(name)
        if key not in found:
            found[key] = (name, kind, aliases)
    return list(found.values())


@dataclass
class BenchProject:
    """What the scenarios need to find in the generated database."""

    project_id: int
    slug: str
    manager_id: int
    curator_id: int
    annotator_ids: list[int]
    big_article_id: int
    article_ids: list[int]  # a few ordinary articles (20 claims per annotator)
    source_ids: list[int]
    target_ids: list[int]
    n_articles: int = 0
    n_claims: int = 0
    n_gold: int = 0
    n_sources: int = 0
    n_aliases: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _chunks(n: int, size: int) -> Iterator[range]:
    for begin in range(0, n, size):
        yield range(begin, min(n, begin + size))


def _claim_spans(
    rng: random.Random, generated: GeneratedText, n: int
) -> list[tuple[int, int, int]]:
    """``n`` "true" claims: (start, end, sentence index), distinct sentences when possible."""
    picks = rng.sample(range(len(generated.sentences)), min(n, len(generated.sentences)))
    return [(*generated.sentences[i], i) for i in sorted(picks)]


def _jitter(rng: random.Random, generated: GeneratedText, sentence: int) -> tuple[int, int]:
    """The sentence's span, with word-level boundary disagreement now and then: a leading
    or a trailing word left out."""
    start, end = generated.sentences[sentence]
    inside = generated.sentence_words[sentence]
    if len(inside) > 4 and rng.random() < 0.35:
        if rng.random() < 0.5:
            start = inside[1][0]
        else:
            end = inside[-2][1]
    return start, end


def _labels(rng: random.Random, source_ids: list[int], target_ids: list[int]) -> dict[str, Any]:
    return {
        "source_id": rng.choice(source_ids),
        "attribution": rng.choice(_ATTRIBUTION),
        "claim_type": rng.choice(_TYPES),
        "source_reliability": rng.choice("ABCDEF"),
        "information_credibility": rng.choice("123456"),
        "stances": {t: rng.choice(_STANCES) for t in rng.sample(target_ids, rng.randint(1, 2))},
    }


def _disagree(rng: random.Random, labels: dict[str, Any], source_ids: list[int]) -> dict[str, Any]:
    out = dict(labels, stances=dict(labels["stances"]))
    if rng.random() < 0.1:
        out["source_id"] = rng.choice(source_ids)
    if rng.random() < 0.15:
        out["attribution"] = rng.choice(_ATTRIBUTION)
    if rng.random() < 0.1:
        out["claim_type"] = rng.choice(_TYPES)
    if rng.random() < 0.25:
        out["source_reliability"] = rng.choice("ABCDEF")
    if rng.random() < 0.2:
        out["information_credibility"] = rng.choice("123456")
    if rng.random() < 0.15:
        target = next(iter(out["stances"]))
        out["stances"][target] = rng.choice(_STANCES)
    return out


# A claim as the row ``_insert`` writes: column → value (the other columns get defaults).
Row = dict[str, Any]


def _claim(
    article: Article, annotator_id: int | None, start: int, end: int, labels: dict[str, Any]
) -> Row:
    text = article.text
    prefix, suffix = context(text, start, end)
    return {
        "article_id": article.pk,
        "annotator_id": annotator_id,
        "start": start,
        "end": end,
        "quote": text[start:end],
        "prefix": prefix,
        "suffix": suffix,
        "source_id": labels["source_id"],
        "attribution": labels["attribution"],
        "claim_type": labels["claim_type"],
        "source_reliability": labels["source_reliability"],
        "information_credibility": labels["information_credibility"],
    }


def published_on(n: int) -> dt.date:
    """The publication date of the ``n``-th article: spread over 2024–2025, so that the
    analysis pages' date filters select a share. Derived from ``n``, not drawn from the
    seeded generator, which would change every text after it."""
    return FIRST_DAY + dt.timedelta(days=(n * 37) % PUBLISHED_DAYS)


def _article(project: Project, generated: GeneratedText, rng: random.Random, n: int) -> Article:
    text = generated.text
    return Article(
        project=project,
        title=generated.title,
        byline=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        outlet=rng.choice(_OUTLETS),
        url=f"https://example.org/news/{n}",
        published=published_on(n),
        language="en",
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        char_count=len(text),
        metadata={"bench": True, "n": n},
        source_file="bench.jsonl",
    )


def _write_claims(pending: list[tuple[Row, dict[int, str]]]) -> list[Row]:
    """Insert the claims and their stances; each claim row gets its ``id``."""
    claims = [claim for claim, _ in pending]
    for claim_id, claim in enumerate(claims, start=_next_id(Claim)):
        claim["id"] = claim_id
    _insert(Claim, claims)
    stances = (
        {"claim_id": claim["id"], "target_id": t, "stance": s}
        for claim, targets in pending
        for t, s in targets.items()
    )
    _insert(
        ClaimStance,
        ({"id": i, **stance} for i, stance in enumerate(stances, start=_next_id(ClaimStance))),
    )
    return claims


# --- fast writes of the big tables ---------------------------------------------------------
# ``bulk_create`` spends ~100 µs per claim preparing each value of each model instance; the
# database needs a few. Claims and stances (most of the rows) are therefore written as
# plain rows with their ids, by COPY on PostgreSQL and multi-row INSERTs on SQLite, with the
# values of the columns they don't give prepared once per table. The sequences are reset
# after (``_reset_sequences``).


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _column_defaults(model: type[models.Model]) -> dict[str, Any]:
    """The database values of the columns a row leaves out, as a model instance would
    have them: now for ``auto_now``/``auto_now_add`` fields, else the field's default
    ("" for text, else NULL, which a NOT NULL column refuses loudly)."""
    now = timezone.now()
    found: dict[str, Any] = {}
    for column in model._meta.concrete_fields:
        auto = getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False)
        value = now if auto else column.get_default()
        found[str(column.column)] = column.get_db_prep_save(value, connection)
    return found


def _insert(model: type[models.Model], rows: Iterable[Row]) -> None:
    """Insert ``rows`` (column → int, str or None; the others take their defaults)."""
    defaults = _column_defaults(model)
    columns = [str(f.column) for f in model._meta.concrete_fields]
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    values = ([row.get(c, defaults[c]) for c in columns] for row in rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            # Many rows per statement: the FTS5 triggers on claims flush once per statement.
            row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            per_statement = max(1, (connection.features.max_query_params or 999) // len(columns))
            for batch in itertools.batched(values, per_statement):
                marks = ", ".join([row_marks] * len(batch))
                params = [v for value in batch for v in value]
                cursor.execute(f"INSERT INTO {table} ({names}) VALUES {marks}", params)


def _insert_numbered(model: type[models.Model], rows: Iterable[Row]) -> list[int]:
    """Insert ``rows`` with ids from the table's next one on (``_insert``); their ids."""
    listed = list(rows)
    first = _next_id(model)
    for pk, row in enumerate(listed, start=first):
        row["id"] = pk
    _insert(model, listed)
    return list(range(first, first + len(listed)))


def _json_value(model: type[models.Model], name: str, value: Any) -> Any:
    """``value`` of the JSON field ``name`` as the database takes it (prepared once)."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found.get_db_prep_save(value, connection)


def _write_rows[M: models.Model](model: type[M], objects: list[M]) -> list[M]:
    """Insert unsaved instances as plain rows (``_insert``) with ids from the table's next
    one on, each value prepared once here instead of by ``bulk_create``'s compiler; the
    instances get their ids."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    first = _next_id(model)
    rows = []
    for pk, obj in enumerate(objects, start=first):
        obj.pk = pk
        row: Row = {"id": pk}
        for f in fields:
            value = getattr(obj, f.attname)
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            if value is None and auto:
                continue  # the default (now) from ``_column_defaults``
            row[str(f.column)] = f.get_db_prep_save(value, connection)
        rows.append(row)
    _insert(model, rows)
    return objects


def _reset_sequences(*tables: type[models.Model]) -> None:
    """After rows were inserted with their ids: the next ids PostgreSQL hands out."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(tables)):
            cursor.execute(sql)


def _setup(slug: str) -> tuple[Project, list[Any], Any, Any]:
    user_model = get_user_model()
    project = Project.objects.create(name=f"Bench {slug}", slug=slug, scheme=default_scheme())
    targets = default_scheme()["default_targets"]
    Target.objects.bulk_create(
        Target(project=project, name=name, name_key=search_key(name), position=i)
        for i, name in enumerate(targets)
    )
    people = []
    for role, username in (
        (Role.MANAGER, f"{slug}-manager"),
        (Role.CURATOR, f"{slug}-curator"),
        *((Role.ANNOTATOR, f"{slug}-annotator{i + 1}") for i in range(N_ANNOTATORS)),
    ):
        user = user_model(username=username, email=f"{username}@example.org")
        user.set_unusable_password()
        user.save()
        Membership.objects.create(project=project, user=user, role=role)
        people.append(user)
    manager, curator, *annotators = people
    return project, annotators, manager, curator


def _sources(project: Project, rng: random.Random) -> tuple[list[int], int]:
    names = make_source_names(rng)
    sources = Source.objects.bulk_create(
        Source(project=project, name=name, name_key=search_key(name), kind=kind)
        for name, kind, _ in names
    )
    name_keys = {s.name_key for s in sources}
    aliases = []
    for source, (_, _, alias_names) in zip(sources, names, strict=True):
        seen: set[str] = set()
        for alias in alias_names:
            key = search_key(alias)
            if key and key not in seen and key not in name_keys:
                seen.add(key)
                aliases.append(SourceAlias(source=source, alias=alias, alias_key=key))
    SourceAlias.objects.bulk_create(aliases, batch_size=BATCH)
    return [s.pk for s in sources], len(aliases)


def generate_project(
    n_articles: int,
    *,
    seed: int = 20261,
    slug: str = "bench",
    gold_fraction: float = 0.5,
    claims_per_annotator: int = CLAIMS_PER_ANNOTATOR,
) -> BenchProject:
    """Write the synthetic project (see the module docstring) and say where things are."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    with transaction.atomic():
        project, annotators, manager, curator = _setup(slug)
        source_ids, n_aliases = _sources(project, rng)
    target_ids = list(Target.objects.filter(project=project).values_list("pk", flat=True))
    annotator_ids = [a.pk for a in annotators]
    timings["setup"] = time.perf_counter() - began
    names = [n for n, _, _ in make_source_names(random.Random(seed))[:120]]

    n_claims = n_gold = 0
    article_ids: list[int] = []
    began = time.perf_counter()
    for chunk in _chunks(n_articles, ARTICLES_PER_CHUNK):
        with transaction.atomic():
            texts = [make_text(rng, ARTICLE_CHARS, names) for _ in chunk]
            articles = _write_rows(
                Article, [_article(project, g, rng, n) for g, n in zip(texts, chunk, strict=True)]
            )
            _insert_numbered(
                Assignment,
                (
                    {
                        "article_id": a.pk,
                        "annotator_id": u,
                        "status": AssignmentStatus.DONE,
                        "assigned_by_id": manager.pk,
                    }
                    for a in articles
                    for u in annotator_ids
                ),
            )
            pending: list[tuple[Row, dict[int, str]]] = []
            gold_pending: list[tuple[Row, dict[int, str]]] = []
            for article, generated, n in zip(articles, texts, chunk, strict=True):
                gold = rng.random() < gold_fraction
                for start, end, sentence in _claim_spans(rng, generated, claims_per_annotator):
                    truth = _labels(rng, source_ids, target_ids)
                    if gold:
                        gold_pending.append(
                            (_claim(article, None, start, end, truth), truth["stances"])
                        )
                    for annotator_id in annotator_ids:
                        marked = sentence
                        if rng.random() < 0.08:  # marks another sentence instead
                            marked = rng.randrange(len(generated.sentences))
                        s, e = _jitter(rng, generated, marked)
                        labels = _disagree(rng, truth, source_ids)
                        pending.append(
                            (_claim(article, annotator_id, s, e, labels), labels["stances"])
                        )
                if n < 5:
                    article_ids.append(article.pk)
            claims = _write_claims(pending)
            n_claims += len(claims)
            if gold_pending:
                golds = _write_claims(gold_pending)
                n_gold += len(golds)
                # Each gold claim accepted from the first annotator's claim of the same
                # sentence (the nearest one: good enough for history-shaped rows).
                first = {
                    (c["article_id"], c["start"]): c["id"]
                    for c in claims
                    if c["annotator_id"] == annotator_ids[0]
                }
                decisions = _insert_numbered(
                    Decision,
                    (
                        {
                            "article_id": g["article_id"],
                            "curator_id": curator.pk,
                            "action": DecisionAction.ACCEPT,
                            "gold_id": g["id"],
                        }
                        for g in golds
                    ),
                )
                origin_fields = _json_value(DecisionOrigin, "fields", ["span", "source"])
                _insert_numbered(
                    DecisionOrigin,
                    (
                        {
                            "decision_id": d,
                            "claim_id": origin,
                            "claim_version": 1,
                            "fields": origin_fields,
                        }
                        for d, g in zip(decisions, golds, strict=True)
                        if (origin := first.get((g["article_id"], g["start"]))) is not None
                    ),
                )
    timings["articles_claims"] = time.perf_counter() - began

    began = time.perf_counter()
    big_id, big_claims = _big_article(project, rng, names, annotator_ids, source_ids, target_ids)
    n_claims += big_claims
    _reset_sequences(Claim, ClaimStance, Article, Assignment, Decision, DecisionOrigin)
    timings["big_article"] = time.perf_counter() - began
    return BenchProject(
        project_id=project.pk,
        slug=slug,
        manager_id=manager.pk,
        curator_id=curator.pk,
        annotator_ids=annotator_ids,
        big_article_id=big_id,
        article_ids=article_ids,
        source_ids=source_ids,
        target_ids=target_ids,
        n_articles=n_articles + 1,
        n_claims=n_claims,
        n_gold=n_gold,
        n_sources=len(source_ids),
        n_aliases=n_aliases,
        seconds=timings,
    )


@transaction.atomic
def _big_article(
    project: Project,
    rng: random.Random,
    names: list[str],
    annotator_ids: list[int],
    source_ids: list[int],
    target_ids: list[int],
) -> tuple[int, int]:
    """The workspace's worst case: 15,000 characters, 300 claims by the first annotator
    (overlapping windows of 4–14 words), 20 by each of the others."""
    generated = make_text(rng, BIG_ARTICLE_CHARS, names)
    article = _write_rows(Article, [_article(project, generated, rng, -1)])[0]
    _insert_numbered(
        Assignment,
        (
            {"article_id": article.pk, "annotator_id": u, "status": AssignmentStatus.IN_PROGRESS}
            for u in annotator_ids
        ),
    )
    words = generated.words
    pending: list[tuple[Row, dict[int, str]]] = []
    for _ in range(BIG_ARTICLE_CLAIMS):
        first = rng.randrange(len(words) - 15)
        last = first + rng.randint(3, 13)
        labels = _labels(rng, source_ids, target_ids)
        claim = _claim(article, annotator_ids[0], words[first][0], words[last][1], labels)
        pending.append((claim, labels["stances"]))
    for annotator_id in annotator_ids[1:]:
        for start, end, _ in _claim_spans(rng, generated, CLAIMS_PER_ANNOTATOR):
            labels = _labels(rng, source_ids, target_ids)
            pending.append((_claim(article, annotator_id, start, end, labels), labels["stances"]))
    return article.pk, len(_write_claims(pending))


def article_records(n: int, *, seed: int) -> Iterator[dict[str, Any]]:
    """``n`` articles as JSONL records (the import scenario), unlike those of the project."""
    rng = random.Random(seed)
    names = [n for n, _, _ in make_source_names(random.Random(seed))[:120]]
    for i in range(n):
        generated = make_text(rng, ARTICLE_CHARS, names)
        yield {
            "text": generated.text,
            "title": generated.title,
            "byline": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "outlet": rng.choice(_OUTLETS),
            "url": f"https://example.org/import/{seed}/{i}",
            "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "language": "en",
        }
