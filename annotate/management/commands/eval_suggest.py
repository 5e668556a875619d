"""manage.py eval_suggest --polnear PATH [--split dev] [--suggester rules|llm …]: score
the suggesters on PolNeAR.

Brings a split of PolNeAR (github.com/networkdynamics/PolNeAR, read from PATH, never
committed) into a new project through the brat import (``annotate/suggest/data/
polnear_mapping.json``: Content → claim, Source → source mention, an attribution event
joins them), as the claims of a user ``polnear``, then reads them back and scores each
suggester on them (``annotate.suggest.evaluate_corpus``). With ``--learned``, the train
split is brought in the same way as a second project's gold layer and the learned
recommender trained on it (``annotate.suggest.recommender``) is scored too. Run it
against a throwaway database: ``make eval-suggest POLNEAR=path [LEARNED=1]`` uses a
temporary SQLite file. Never on the test split while tuning. ``--suggester llm``
(repeatable with ``rules``) scores the language model configured by the ``CLAIMDESK_LLM_*``
settings, with its tokens and cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from annotate.exchange.importing import BratOptions, import_annotations
from annotate.exchange.importing_brat import BratDocument, bundle_zip, mapping_from_text
from annotate.models import Claim
from annotate.suggest import Proposal, RegistryEntry, Suggester, backends
from annotate.suggest.base import ProjectContext
from annotate.suggest.evaluate import registry_from_csv
from annotate.suggest.evaluate_corpus import (
    QUOTED,
    REPORTED,
    CorpusArticle,
    CorpusClaim,
    evaluate_corpus,
)
from annotate.suggest.llm import LLMBadAnswer, LLMError
from annotate.suggest.recommender import learned_suggester, recommender_train
from corpus.models import Article, Project, Role
from corpus.scheme import default_scheme
from corpus.services import membership_set, project_create, user_ensure

MAPPING = Path(__file__).resolve().parents[2] / "suggest" / "data" / "polnear_mapping.json"


def polnear_documents(root: Path, split: str) -> list[BratDocument]:
    """The split's articles, each with one annotator's attributions: the ``.ann`` whose
    name sorts first (a few articles were annotated by several people)."""
    texts = root / "data" / split / "text"
    anns = root / "data" / split / "attributions"
    if not texts.is_dir() or not anns.is_dir():
        raise CommandError(
            f"No {texts} and {anns}: extract them with git -C <PolNeAR> archive HEAD "
            f"data/{split}/text data/{split}/attributions | tar x -C <dir>."
        )
    out = []
    for txt in sorted(texts.glob("*.txt")):
        found = sorted(anns.glob(f"{txt.stem}_*.ann"))
        if found:
            out.append(
                BratDocument(
                    txt.stem,
                    txt.read_text(encoding="utf-8"),
                    found[0].read_text(encoding="utf-8"),
                )
            )
    return out


def _lenient_scheme() -> dict[str, Any]:
    scheme = default_scheme()
    for spec in scheme["fields"].values():
        spec["required"] = False
    return scheme


class _Tolerant:
    """A suggester whose malformed answers count as no proposals (and are counted): an
    evaluation goes on past one bad article; an endpoint that fails stops it."""

    def __init__(self, inner: Suggester) -> None:
        self.inner = inner
        self.name, self.version = inner.name, inner.version
        self.skipped = 0

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        try:
            return self.inner.suggest(article_text, byline=byline, registry=registry)
        except LLMBadAnswer:
            self.skipped += 1
            return []


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--polnear", required=True, type=Path, metavar="PATH")
        parser.add_argument("--split", default="dev", choices=["train", "dev", "test"])
        parser.add_argument(
            "--learned",
            action="store_true",
            help="Also train the learned recommender on the train split, brought in through "
            "the brat import as a project's gold layer, and score it.",
        )
        parser.add_argument(
            "--registry",
            type=Path,
            default=Path("seeds/sources.csv"),
            help="The registry the suggesters see (default: the seed registry).",
        )
        parser.add_argument(
            "--suggester",
            action="append",
            choices=sorted(backends.BACKENDS),
            help="A suggester to score (repeat for several; default: rules). llm needs "
            "CLAIMDESK_LLM_BASE_URL and CLAIMDESK_LLM_MODEL.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        split = options["split"]
        names = list(dict.fromkeys(options["suggester"] or ["rules"]))
        try:  # before the import: a missing configuration is said at once
            suggesters = [
                backends.build(n, ProjectContext(scheme=_lenient_scheme())) for n in names
            ]
        except LLMError as error:
            raise CommandError(str(error)) from error
        documents = polnear_documents(options["polnear"], split)
        if not documents:
            raise CommandError("No articles found.")
        project = self._import(documents, split)
        articles = self._labelled(project)
        labelled = sum(len(a.claims) for a in articles)
        quoted = sum(1 for a in articles for c in a.claims if c.kind == QUOTED)
        self.stdout.write(
            f"PolNeAR {split}: {len(articles)} articles, {labelled} attributions "
            f"({quoted} quoted, {labelled - quoted} {REPORTED})\n"
        )
        registry = registry_from_csv(options["registry"])
        if options["learned"]:
            suggesters.append(self._learned(options["polnear"]))
        for suggester in suggesters:
            tolerant = _Tolerant(suggester)
            try:
                report = evaluate_corpus(articles, tolerant, registry)
            except LLMError as error:
                raise CommandError(f"{suggester.name}: {error}") from error
            self.stdout.write(report.table(f"{suggester.name} {suggester.version}") + "\n")
            usage = getattr(suggester, "usage", None)
            if usage is not None:
                self.stdout.write(
                    f"{suggester.name}: {tolerant.skipped} articles without a usable answer; "
                    f"usage {usage.as_dict()}\n"
                )

    def _learned(self, root: Path) -> Suggester:
        """The recommender trained on the train split, as a project would train it: the
        split imported as the gold layer, ``recommender_train`` (which holds a fifth of
        the articles out and reports its score on them)."""
        documents = polnear_documents(root, "train")
        project = self._import(documents, "train", as_gold=True)
        model = recommender_train(project=project)
        self.stdout.write(
            f"Trained learned/{model.version} on {model.articles} articles ({model.claims} "
            f"claims); held out {model.held_out_articles}: precision {model.precision:.2f}, "
            f"recall {model.recall:.2f}, F1 {model.f1:.2f}.\n"
        )
        return learned_suggester(model)

    def _import(self, documents: list[BratDocument], split: str, as_gold: bool = False) -> Project:
        with transaction.atomic():
            slug = f"polnear-{split}"
            if Project.objects.filter(slug=slug).exists():
                raise CommandError(
                    f"This database has a project “{slug}” already: evaluate in a fresh one "
                    "(make eval-suggest makes a throwaway SQLite file)."
                )
            project = project_create(name=f"PolNeAR {split}", slug=slug, scheme=_lenient_scheme())
            user = user_ensure(username="polnear")
            role = Role.CURATOR if as_gold else Role.ANNOTATOR
            membership_set(project=project, user=user, role=role)
        mapping = mapping_from_text(MAPPING.read_text(encoding="utf-8"), MAPPING.name)
        report = import_annotations(
            project=project,
            annotator=None if as_gold else user,
            actor=user if as_gold else None,
            as_gold=as_gold,
            data=bundle_zip(documents),
            fmt="brat",
            brat=BratOptions(mapping, create_articles=True),
            partial=True,
        )
        self.stdout.write(
            f"Imported {report.created} attributions into {report.articles_created} articles "
            f"({report.skipped} duplicates, {len(report.rejected)} rejected)."
        )
        for rejected in report.rejected[:10]:
            self.stderr.write(f"rejected: {rejected}")
        return project

    def _labelled(self, project: Project) -> list[CorpusArticle]:
        out = []
        for article in Article.objects.filter(project=project).order_by("source_file"):
            claims = tuple(
                CorpusClaim(
                    c.start,
                    c.end,
                    (c.mention_start, c.mention_end)
                    if c.mention_start is not None and c.mention_end is not None
                    else None,
                    article.text[c.mention_start : c.mention_end]
                    if c.mention_start is not None
                    else "",
                    QUOTED if c.attribution == "direct" else REPORTED,
                )
                for c in Claim.objects.live().filter(article=article).order_by("start")
            )
            out.append(CorpusArticle(article.source_file, article.text, claims))
        return out
