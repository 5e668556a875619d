"""An archive is a file from elsewhere: restore checks all of it before writing anything,
never changes a user the instance has, never takes a user's id, flags, password or
permissions from the file, and refuses zip bombs, stray members and malformed records
with a message saying where — writing nothing."""

from __future__ import annotations

import io
import json
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.exchange import restoring
from annotate.models import (
    Assignment,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
    Source,
    SourceAlias,
    Target,
)
from corpus.models import Article, Membership, Project
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.annotate.exchange.test_archive import empty_instance
from tests.factories import ProjectFactory

MODELS = (
    User,
    Project,
    Membership,
    Article,
    Source,
    SourceAlias,
    Target,
    Assignment,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
)
Members = dict[str, list[Any]]


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def read(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {
            name: [json.loads(line) for line in zf.read(name).decode().splitlines()]
            for name in zf.namelist()
        }


def write(members: Members, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, records in members.items():
            zf.writestr(name, "".join(json.dumps(r) + "\n" for r in records))
        for name, raw in (extra or {}).items():
            zf.writestr(name, raw)
    return buffer.getvalue()


@pytest.fixture
def backup(corpus: Corpus) -> Members:
    """The corpus's archive, parsed, in an instance emptied of the project (users kept)."""
    members = read(export_bytes("archive", corpus.project))
    empty_instance()
    return members


def refused(data: bytes, match: str, **kwargs: Any) -> ValidationError:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        restoring.restore(io.BytesIO(data), **kwargs)
    assert re.search(match, " ".join(caught.value.messages)), caught.value.messages
    assert counts() == before
    return caught.value


@pytest.fixture
def root(db: Any) -> User:
    return User.objects.create_superuser("root", "root@example.org", "s3cret-root")


def _state(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    return (
        user.pk,
        user.username,
        user.email,
        user.first_name,
        user.last_name,
        user.password,
        user.is_active,
        user.is_staff,
        user.is_superuser,
        set(user.groups.all()),
        set(user.user_permissions.all()),
    )


def test_a_user_record_with_an_id_and_flags_is_refused_and_the_superuser_untouched(
    backup: Members, root: User, tmp_path: Path
) -> None:
    before = _state(root)
    backup["project.json"][0]["users"].append(
        {"username": "x", "id": root.pk, "is_superuser": True, "is_staff": True}
    )
    error = refused(write(backup), "project.json, users 5: unknown key")
    assert "“id”, “is_staff”, “is_superuser”" in error.messages[0]
    assert _state(root) == before
    assert root.check_password("s3cret-root")
    # The command says so and exits non-zero.
    path = tmp_path / "evil.zip"
    path.write_bytes(write(backup))
    with pytest.raises(CommandError, match="Nothing was restored: project.json, users 5"):
        call_command("restore_project", str(path))
    assert _state(root) == before


@pytest.mark.parametrize("key", ["password", "is_active", "groups", "user_permissions"])
def test_a_user_record_never_brings_a_password_flags_or_permissions(
    backup: Members, key: str
) -> None:
    backup["project.json"][0]["users"][0][key] = "x" if key == "password" else True
    refused(write(backup), f"unknown key “{key}”")


def test_an_existing_user_is_used_as_it_is_never_changed(
    backup: Members, root: User, tmp_path: Path
) -> None:
    before = _state(root)
    project = backup["project.json"][0]
    project["users"].append(
        {"username": "root", "email": "evil@example.org", "first_name": "Evil", "last_name": "X"}
    )
    project["memberships"].append(
        {"user": "root", "role": "manager", "created": project["created"]}
    )
    User.objects.filter(username="anna").delete()  # one user the instance lacks
    path = tmp_path / "backup.zip"
    path.write_bytes(write(backup))
    out = io.StringIO()
    call_command("restore_project", str(path), stdout=out)
    assert "Created these users inactive" in out.getvalue()
    assert "anna" in out.getvalue() and "root" not in out.getvalue().split("inactive")[1]
    assert _state(root) == before
    assert root.check_password("s3cret-root")
    restored = Project.objects.get(slug="turkic")
    assert Membership.objects.get(project=restored, user=root).role == "manager"
    anna = User.objects.get(username="anna")
    assert not anna.is_active and not anna.has_usable_password()
    assert not anna.is_staff and not anna.is_superuser
    assert anna.email == "anna@example.org"


def test_new_users_get_their_ids_from_the_database(backup: Members) -> None:
    User.objects.all().delete()
    taken = User.objects.create_superuser("admin", "a@example.org", "pw")
    result = restoring.restore(io.BytesIO(write(backup)))
    assert sorted(result.created_users) == ["anna", "boris", "cora", "mira"]
    created = User.objects.filter(username__in=result.created_users)
    assert taken.pk not in {u.pk for u in created}
    assert not created.filter(is_active=True).exists()
    assert not created.filter(is_staff=True).exists()
    assert not created.filter(is_superuser=True).exists()
    taken.refresh_from_db()
    assert taken.is_superuser and taken.is_active and taken.username == "admin"


def _bomb(name: str, megabytes: int, members: Members) -> bytes:
    """The archive with ``name`` replaced by ``megabytes`` MiB of blanks (deflated to
    about 1 KB a MiB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, records in members.items():
            if member == name:
                with zf.open(name, "w") as handle:
                    block = b" " * 1024**2
                    for _ in range(megabytes):
                        handle.write(block)
            else:
                zf.writestr(member, "".join(json.dumps(r) + "\n" for r in records))
    return buffer.getvalue()


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size declared as ``size``, in its local
    header and the central directory (a lie the zip's reader can't see)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        struct.pack_into("<I", out, zf.getinfo(name).header_offset + 22, size)
        position = zf.start_dir
        for _ in zf.infolist():
            length, extra, comment = struct.unpack_from("<HHH", out, position + 28)
            if out[position + 46 : position + 46 + length].decode() == name:
                struct.pack_into("<I", out, position + 24, size)
            position += 46 + length + extra + comment
    return bytes(out)


def _peak_memory(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        call()
    except ValidationError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_a_zip_bomb_is_refused_before_it_inflates(backup: Members) -> None:
    bomb = _bomb("project.json", 150, backup)
    assert len(bomb) < 200_000
    refused(bomb, r"project.json inflates to 157,286,400 bytes, over the limit of 67,108,864")
    peak = _peak_memory(lambda: restoring.restore(io.BytesIO(bomb)))
    assert peak < 5 * 1024**2
    # Declared small, inflating big: the reader stops at the declared size and the
    # checksum gives the lie away; memory stays small.
    liar = _declare_size(bomb, "project.json", 100)
    refused(liar, "project.json is damaged")
    assert _peak_memory(lambda: restoring.restore(io.BytesIO(liar))) < 5 * 1024**2


def test_a_member_inflating_too_many_fold_is_refused(backup: Members) -> None:
    refused(_bomb("claims.jsonl", 20, backup), "claims.jsonl inflates 1,0[0-9]{2}-fold")


def test_the_archive_limit_comes_from_the_settings(backup: Members, settings: Any) -> None:
    data = write(backup)
    settings.CLAIMDESK_MAX_ARCHIVE_BYTES = 5_000
    refused(data, r"over the limit of 5,000 \(CLAIMDESK_MAX_ARCHIVE_BYTES\)")
    settings.CLAIMDESK_MAX_ARCHIVE_BYTES = 50_000
    assert restoring.restore(io.BytesIO(data)).project.slug == "turkic"


def test_a_line_over_the_limit_is_refused_while_reading(backup: Members, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 10  # a line may then hold 1 MiB and 60 bytes
    long_line = json.dumps({"note": "0123456789abcdef" * 70_000}).encode()
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zf:
        for name, records in backup.items():
            raw = "".join(json.dumps(r) + "\n" for r in records).encode()
            zf.writestr(name, long_line + b"\n" + raw if name == "history.jsonl" else raw)
    refused(stored.getvalue(), r"history.jsonl, line 1: longer than 1,048,636 bytes")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/cron.d/evil", "unsafe name, “../../etc/cron.d/evil”"),
        ("/etc/passwd", "unsafe name"),
        ("..\\evil.json", "unsafe name"),
        ("__MACOSX/._project.json", "“__MACOSX/._project.json”, which a project archive"),
        ("notes.txt", "which a project archive does not have"),
    ],
)
def test_a_member_an_archive_does_not_have_is_refused(
    backup: Members, name: str, message: str
) -> None:
    refused(write(backup, {name: b"{}"}), message)


def test_too_many_members_or_a_member_twice_is_refused(backup: Members) -> None:
    many = {f"x{n}.json": b"{}" for n in range(20)}
    refused(write(backup, many), "holds “x0.json”, which a project archive does not have")
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = write(backup, {"claims.jsonl": b""})
    refused(twice, "holds claims.jsonl twice")


def test_a_missing_member_is_refused(backup: Members) -> None:
    del backup["targets.jsonl"]
    refused(write(backup), "The archive has no targets.jsonl")


def _set(member: str, line: int, key: str, value: Any) -> Callable[[Members], None]:
    def change(members: Members) -> None:
        members[member][line][key] = value

    return change


def _drop(member: str, key: str) -> Callable[[Members], None]:
    def change(members: Members) -> None:
        del members[member][0][key]

    return change


def _stance(key: str, value: Any) -> Callable[[Members], None]:
    def change(members: Members) -> None:
        claim = next(c for c in members["claims.jsonl"] if c["stances"])
        claim["stances"][0][key] = value

    return change


MALFORMED = {
    "no slug": (_drop("project.json", "slug"), "project.json: the key “slug” is missing"),
    "a bad slug": (_set("project.json", 0, "slug", "a b/c"), "project.json: Enter a valid “slug”"),
    "an unknown project key": (
        _set("project.json", 0, "owner", "root"),
        "project.json: unknown key “owner”",
    ),
    "an unknown claim key": (
        _set("claims.jsonl", 1, "is_admin", True),
        "claims.jsonl, line 2: unknown key “is_admin”",
    ),
    "an unknown stance key": (_stance("claim", 1), r"claims.jsonl, line \d+, stances 1: unknown"),
    "a stance on a target the archive lacks": (
        _stance("target", 999_999),
        "stances 1, target: names 999999, which is not in targets.jsonl",
    ),
    "text for a number": (
        _set("claims.jsonl", 0, "start", "5"),
        'claims.jsonl, line 1, start: "5" is not a whole number',
    ),
    "a negative offset": (_set("claims.jsonl", 0, "end", -1), "end: -1 is not a whole number"),
    "an id past 64 bits": (_set("articles.jsonl", 0, "id", 2**63), "id: 9223372036854775808"),
    "a true for an id": (_set("targets.jsonl", 0, "id", True), "id: true is not a whole number"),
    "a time without a zone": (
        _set("claims.jsonl", 0, "created", "2024-01-01T00:00:00"),
        "created: “2024-01-01T00:00:00” has no time zone",
    ),
    "a NUL in a note": (_set("claims.jsonl", 0, "note", "a\0b"), "note: holds a NUL character"),
    "a NUL in metadata": (
        _set("articles.jsonl", 0, "metadata", {"x": ["\0"]}),
        "metadata: holds a NUL",
    ),
    "a title too long": (_set("articles.jsonl", 0, "title", "t" * 501), "longer than 500"),
    "an unknown source kind": (_set("sources.jsonl", 0, "kind", "alien"), "“alien” is not one"),
    "an unlisted annotator": (
        _set("claims.jsonl", 0, "annotator", "mallory"),
        "annotator: names the user “mallory”, whom project.json does not list",
    ),
    "a bad scheme": (_set("project.json", 0, "scheme", {"fields": []}), "needs a “fields”"),
    "a line that is not an object": (
        lambda m: m["history.jsonl"].append([1, 2]),
        r"history.jsonl, line \d+: a list where an object belongs",
    ),
    "an id twice": (
        lambda m: m["sources.jsonl"].append(m["sources.jsonl"][0]),
        r"sources.jsonl, line 7: the id \d+ is there twice",
    ),
    "an unknown manifest key": (
        _set("manifest.json", 0, "run", "rm -rf"),
        "manifest.json: unknown key “run”",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_archive_is_refused_saying_where(backup: Members, case: str) -> None:
    change, message = MALFORMED[case]
    change(backup)
    refused(write(backup), message)


def test_a_claim_on_another_projects_article_is_refused(backup: Members) -> None:
    other = ProjectFactory()
    foreign = Article.objects.create(project=other, title="theirs", text="Their text.")
    claim = backup["claims.jsonl"][0]
    claim["article"] = foreign.pk
    refused(write(backup), f"article: names {foreign.pk}, which is not in articles.jsonl")
    assert not Claim.objects.filter(article=foreign).exists()


def test_what_only_the_database_can_see_is_refused_too(backup: Members) -> None:
    claim = backup["claims.jsonl"][0]
    claim["start"], claim["end"] = claim["end"], claim["start"]
    refused(write(backup), "The archive's rows don't fit the database")


def test_a_bad_slug_to_restore_under_is_refused(backup: Members) -> None:
    refused(write(backup), "is not a slug", slug="../x")


def test_not_json_and_nested_too_deep_is_refused(backup: Members) -> None:
    data = write(backup, {})
    deep = b"[" * 100_000 + b"]" * 100_000
    for raw, message in ((b"{nope", "not valid JSON"), (deep, "not valid JSON")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as zf:
            for name in source.namelist():
                zf.writestr(name, raw if name == "targets.jsonl" else source.read(name))
        refused(buffer.getvalue(), f"targets.jsonl, line 1: {message}")
