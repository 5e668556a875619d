"""One write path: views, the API, the admin, management commands, serializers, forms and
template tags never write a model themselves; they call the services (each ``annotate``
package's ``services.py``, ``corpus/services.py``), where the checks, the transaction and
the audit trail live. And one module makes the audit trail's rows.

Read from the source with ``ast``, so it holds for code no test runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("annotate", "corpus", "config")

# Where requests, commands and forms come in: matched against the path inside the app.
ENTRY_PATTERNS = (
    "*views*.py",
    "api*.py",
    "*_api.py",
    "admin.py",
    "health.py",
    "management/commands/*.py",
    "serializers*.py",
    "forms.py",
    "templatetags/*.py",
)

# Method names that write rows when called on a model instance, manager or queryset.
WRITES = frozenset(
    {
        "save",
        "delete",
        "create",
        "update",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)

# Constructors (and return annotations) of things whose ``update`` etc. write no row.
NOT_MODELS = frozenset({"dict", "set", "Counter", "defaultdict", "OrderedDict", "tqdm"})

# Deliberate exceptions: (module, function, call) -> why. Keep it short; a call that can go
# through a service should.
ALLOWED: dict[tuple[str, str, str], str] = {}

# The audit trail: only this module makes History rows (one rule for what a row holds).
HISTORY_OWNER = "annotate/history.py"
HISTORY_ALLOWED: dict[tuple[str, str], str] = {
    ("annotate/exchange/restoring.py", "_history"): (
        "restoring an archive copies the project's history verbatim (ids, times, actors); "
        "it records nothing new"
    ),
}


@dataclass(frozen=True)
class Call:
    module: str  # path from the repository root
    function: str  # qualified: Class.method, or <module>
    text: str  # the call as written, without its arguments
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.function, self.text)


def entry_modules() -> list[Path]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            inside = path.relative_to(ROOT / app)
            if "migrations" in inside.parts:
                continue
            if any(inside.match(pattern) for pattern in ENTRY_PATTERNS):
                found.add(path)
    return sorted(found)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _names_not_models(annotation: ast.expr | None, value: ast.expr | None) -> bool:
    """Whether a name bound with this annotation or value is a plain container."""
    if annotation is not None and _root_name(annotation) in NOT_MODELS:
        return True
    if isinstance(value, ast.Dict | ast.Set | ast.DictComp | ast.SetComp):
        return True
    return isinstance(value, ast.Call) and _root_name(value.func) in NOT_MODELS


class _Finder(ast.NodeVisitor):
    """The write calls of one module, with the function each is in."""

    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self.scope: list[str] = []
        self.plain: list[set[str]] = [set()]  # names known to be containers, per scope
        # Module functions that return containers (``def _context(...) -> dict[...]``).
        self.returns_plain = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and _names_not_models(node.returns, None)
        }
        self.calls: list[Call] = []
        self.history: list[Call] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.plain.append(set(self.plain[-1]))
        if not isinstance(node, ast.ClassDef):
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if _names_not_models(arg.annotation, None):
                    self.plain[-1].add(arg.arg)
        self.generic_visit(node)
        self.plain.pop()
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _function

    def _bind(self, target: ast.expr, annotation: ast.expr | None, value: ast.expr | None) -> None:
        if not isinstance(target, ast.Name):
            return
        plain = _names_not_models(annotation, value) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in self.returns_plain
        )
        if plain:
            self.plain[-1].add(target.id)
        else:
            self.plain[-1].discard(target.id)  # rebound to something else

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, None, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._bind(node.target, node.annotation, node.value)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._bind(item.optional_vars, None, item.context_expr)
        self.generic_visit(node)

    def _call(self, node: ast.Call) -> Call:
        func = ast.unparse(node.func)
        return Call(self.module, ".".join(self.scope) or "<module>", f"{func}()", node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITES and not self._harmless(node):
            self.calls.append(self._call(node))
        if _makes_history(node):
            self.history.append(self._call(node))
        self.generic_visit(node)

    def _harmless(self, node: ast.Call) -> bool:
        assert isinstance(node.func, ast.Attribute)
        receiver = node.func.value
        if node.func.attr == "save" and any(
            k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in node.keywords
        ):
            return True  # a ModelForm or formset's save(commit=False) writes nothing
        return isinstance(receiver, ast.Name) and receiver.id in self.plain[-1]


def _makes_history(node: ast.Call) -> bool:
    """``History(...)``, or a write through ``History.objects`` / its other managers."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "History"
    return (
        isinstance(func, ast.Attribute)
        and func.attr in WRITES
        and isinstance(func.value, ast.Attribute)
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "History"
    )


def _scan(path: Path) -> _Finder:
    module = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=module)
    finder = _Finder(module, tree)
    finder.visit(tree)
    return finder


def write_calls(paths: list[Path]) -> Iterator[Call]:
    for path in paths:
        yield from _scan(path).calls


def _app_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


# --- The tests -----------------------------------------------------------------------


def test_the_entry_modules_are_found() -> None:
    # If the patterns stop matching, the test below would pass by checking nothing.
    found = {path.relative_to(ROOT).as_posix() for path in entry_modules()}
    expected = {
        "annotate/admin.py",
        "annotate/claims/api.py",
        "annotate/claims/articles_api.py",
        "annotate/exchange/export_api.py",
        "annotate/sources/views.py",
        "annotate/workspace/views.py",
        "annotate/claims/serializers.py",
        "annotate/claims/forms.py",
        "corpus/templatetags/reader_span.py",
        "annotate/management/commands/import_annotations.py",
        "corpus/admin.py",
        "corpus/api.py",
        "corpus/views.py",
        "corpus/management/commands/import_articles.py",
        "config/health.py",
    }
    assert expected <= found, sorted(expected - found)


def test_views_api_admin_and_commands_write_only_through_services() -> None:
    calls = list(write_calls(entry_modules()))
    offending = [call for call in calls if call.key not in ALLOWED]
    assert not offending, (
        "These calls write models outside the services:\n"
        + "\n".join(f"  {c.module}:{c.line} in {c.function}: {c.text}" for c in offending)
        + "\n\nMove the write into a service (the package's services.py or corpus/services.py: a "
        "keyword-only function named entity_action, in transaction.atomic, raising "
        "ValidationError) and call that instead, as the other views, the API, the admin and "
        "the commands do. If the call writes no row (a dict, a form's save(commit=False)) "
        "or is a deliberate exception, add (module, function, call) with the reason to "
        "ALLOWED in tests/architecture/test_write_path.py."
    )
    stale = set(ALLOWED) - {call.key for call in calls}
    assert not stale, f"ALLOWED names calls that are gone; remove them: {sorted(stale)}"


def test_only_the_history_module_makes_history_rows() -> None:
    made = [
        call
        for path in _app_modules()
        if path.relative_to(ROOT).as_posix() != HISTORY_OWNER
        for call in _scan(path).history
    ]
    offending = [c for c in made if (c.module, c.function) not in HISTORY_ALLOWED]
    assert not offending, (
        "These calls make History rows outside annotate/history.py:\n"
        + "\n".join(f"  {c.module}:{c.line} in {c.function}: {c.text}" for c in offending)
        + "\n\nCall history_record (one row) or history_record_many (a batch) instead: "
        "they decide who the actor is and what a row holds, for every writer alike."
    )
    stale = set(HISTORY_ALLOWED) - {(c.module, c.function) for c in made}
    assert not stale, f"HISTORY_ALLOWED names calls that are gone; remove them: {sorted(stale)}"


# --- The checker itself --------------------------------------------------------------


def _check(source: str) -> _Finder:
    tree = ast.parse(source)
    finder = _Finder("views.py", tree)
    finder.visit(tree)
    return finder


@pytest.mark.parametrize(
    "source",
    [
        "def save_model(self, request, obj, form, change):\n    obj.save()\n",
        "def delete(self, request, pk):\n    assignment = get(pk)\n    assignment.delete()\n",
        "def post(request):\n    Claim.objects.filter(pk=1).update(note='x')\n",
        "def post(request):\n    Source.objects.get_or_create(name='x')\n",
        "def handle(self):\n    Article.objects.bulk_create([])\n",
        "def handle(self, context: dict):\n    context = load()\n    context.update(a=1)\n",
    ],
)
def test_the_checker_finds_writes(source: str) -> None:
    assert _check(source).calls, source


@pytest.mark.parametrize(
    "source",
    [
        "def view(request):\n    context = {'a': 1}\n    context.update(b=2)\n",
        "def view(request):\n    seen = set()\n    seen.update([1])\n",
        "def _context() -> dict[str, int]:\n    return {}\n"
        "def view(request):\n    context = _context()\n    context.update(b=2)\n",
        "def save_formset(self, request, form, formset, change):\n    formset.save(commit=False)\n",
        "def handle(self):\n    bar = tqdm()\n    bar.update(1)\n",
    ],
)
def test_the_checker_leaves_containers_alone(source: str) -> None:
    assert not _check(source).calls, source


def test_the_checker_finds_history_rows() -> None:
    source = (
        "def f():\n    History.objects.create(entity='x')\n"
        "def g():\n    History.objects.bulk_create([History(entity='x')])\n"
    )
    assert [c.function for c in _check(source).history] == ["f", "g", "g"]
