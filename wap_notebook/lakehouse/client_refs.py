"""`RefsMixin`: branches, tags, merges and commit history of `LocalClient`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

from bauplan import exceptions as bx

from wap_notebook.lakehouse import errors
from wap_notebook.lakehouse.catalog import MAIN, CatalogState, CommitRecord, Resolved
from wap_notebook.lakehouse.client_core import ClientCore
from wap_notebook.lakehouse.commit_filter import compile_filter
from wap_notebook.lakehouse.names import parse_ref, ref_name
from wap_notebook.lakehouse.objects import Actor, Branch, Commit, DetachedRef, Ref, Tag


class RefsMixin(ClientCore):
    """Branches and tags (create, read, list, delete, rename), merges and commit history."""

    # ------------------------------------------------------------------ refs
    @staticmethod
    def _branch_name(branch: Any) -> str:
        return ref_name(branch, "branch")

    def _check_branch_owner(self, name: str, error: type[bx.ForbiddenError], code: str) -> None:
        if not name.startswith(f"{self.username}."):
            raise errors.forbidden(error, code, f"Branch {name!r} must be named '<username>.<name>', i.e. start with "
                                   f"{self.username + '.'!r}")

    def create_branch(self, /, branch: Any, from_ref: Any, *, if_not_exists: Any = False) -> Branch:
        name = self._branch_name(branch)
        if not (if_not_exists and self.has_branch(name)):
            self._check_branch_owner(name, bx.CreateBranchForbiddenError, "CREATE_BRANCH_FORBIDDEN")
        record = self._catalog.create_ref(name, "branch", parse_ref(from_ref), self.username,
                                          if_not_exists=if_not_exists)
        if record.kind != "branch":
            raise bx.BranchExistsError(409, "BRANCH_EXISTS", f"{name!r} already exists as a tag")
        return Branch(name=record.name, hash=record.hash)

    def has_branch(self, /, branch: Any) -> bool:
        record = self._catalog.ref(self._branch_name(branch))
        return record is not None and record.kind == "branch"

    def get_branch(self, /, branch: Any) -> Branch:
        name = self._branch_name(branch)
        record = self._catalog.ref(name)
        if record is None:
            raise errors.branch_not_found(name)
        if record.kind != "branch":
            raise errors.not_a_branch(name)
        return Branch(name=record.name, hash=record.hash)

    def get_branches(self, /, *, name: Any = None, user: Any = None, limit: Any = None) -> Iterator[Branch]:
        records = self._catalog.refs("branch")
        if name:
            records = [r for r in records if name in r.name]
        if user:
            records = [r for r in records if r.name.startswith(f"{user}.")]
        return iter([Branch(name=r.name, hash=r.hash) for r in records[:limit]])

    def delete_branch(self, /, branch: Any, *, if_exists: Any = False) -> bool:
        name = self._branch_name(branch)
        if name == MAIN:
            raise errors.forbidden(bx.DeleteBranchForbiddenError, "DELETE_BRANCH_FORBIDDEN",
                                   "Branch 'main' cannot be deleted")
        record = self._catalog.ref(name)
        if record is not None and record.kind != "branch":
            raise errors.not_a_write_branch(name, "it is a tag; use delete_tag")
        # Only the ref goes: data files stay, as other refs (and time travel) may still reach them.
        deleted = self._catalog.delete_ref(name, "branch")
        if not deleted and not if_exists:
            raise errors.branch_not_found(name)
        return deleted

    def rename_branch(self, /, branch: Any, new_branch: Any) -> Branch:
        old, new = self._branch_name(branch), self._branch_name(new_branch)
        if old == MAIN:
            raise errors.forbidden(bx.RenameBranchForbiddenError, "RENAME_BRANCH_FORBIDDEN",
                                   "Branch 'main' cannot be renamed")
        record = self._catalog.ref(old)
        if record is not None and record.kind != "branch":
            raise errors.not_a_branch(old)
        self._check_branch_owner(new, bx.RenameBranchForbiddenError, "RENAME_BRANCH_FORBIDDEN")
        renamed = self._catalog.rename_ref(old, new, "branch")
        return Branch(name=renamed.name, hash=renamed.hash)

    def create_tag(self, /, tag: Any, from_ref: Any, *, if_not_exists: Any = False) -> Tag:
        name = ref_name(tag, "tag")
        record = self._catalog.create_ref(name, "tag", parse_ref(from_ref), self.username, if_not_exists=if_not_exists)
        if record.kind != "tag":
            raise bx.TagExistsError(409, "TAG_EXISTS", f"{name!r} already exists as a branch")
        return Tag(name=record.name, hash=record.hash)

    def has_tag(self, /, tag: Any) -> bool:
        record = self._catalog.ref(ref_name(tag, "tag"))
        return record is not None and record.kind == "tag"

    def get_tag(self, /, tag: Any) -> Tag:
        name = ref_name(tag, "tag")
        record = self._catalog.ref(name)
        if record is None:
            raise errors.tag_not_found(name)
        if record.kind != "tag":
            raise errors.not_a_tag(name)
        return Tag(name=record.name, hash=record.hash)

    def get_tags(self, /, *, filter_by_name: Any = None, limit: Any = None) -> Iterator[Tag]:
        records = [r for r in self._catalog.refs("tag") if not filter_by_name or filter_by_name in r.name]
        return iter([Tag(name=r.name, hash=r.hash) for r in records[:limit]])

    def delete_tag(self, /, tag: Any, *, if_exists: Any = False) -> bool:
        name = ref_name(tag, "tag")
        record = self._catalog.ref(name)
        if record is not None and record.kind != "tag":
            raise errors.not_a_tag(name)
        deleted = self._catalog.delete_ref(name, "tag")
        if not deleted and not if_exists:
            raise errors.tag_not_found(name)
        return deleted

    def rename_tag(self, /, tag: Any, new_tag: Any) -> Tag:
        old, new = ref_name(tag, "tag"), ref_name(new_tag, "tag")
        record = self._catalog.ref(old)
        if record is not None and record.kind != "tag":
            raise errors.not_a_tag(old)
        renamed = self._catalog.rename_ref(old, new, "tag")
        return Tag(name=renamed.name, hash=renamed.hash)

    # ------------------------------------------------------------------ merges and history
    def merge_branch(self, /, source_ref: Any, into_branch: Any, *, commit_message: Any = None, commit_body: Any = None,
                     commit_properties: Any = None) -> Branch:
        source_spec = parse_ref(source_ref)
        target = self._branch_name(into_branch)
        record = self._catalog.ref(target)
        if record is None:
            raise errors.branch_not_found(target)
        if record.kind != "branch":
            raise errors.not_a_write_branch(target, "it is a tag")
        if source_spec.name == target:  # also `main@hash` or a Branch("main", hash) object into main
            raise bx.SameRefError(400, "SAME_REF", f"Cannot merge {target!r} into itself")
        message = commit_message or f"Merge {source_spec} into {target}"

        def change(head: CommitRecord, con: Any) -> tuple[CatalogState, tuple[str, ...]] | None:
            source = self._catalog.resolve(source_spec, con).commit
            if self._catalog.is_ancestor(source.hash, head.hash, con):
                return None  # already merged: nothing to do
            base_hash = self._catalog.merge_base(source.hash, head.hash, con)
            base = self._catalog.commit(base_hash, con).state if base_hash else CatalogState()
            return _three_way_merge(base, source.state, head.state, str(source_spec), target), (source.hash,)

        commit = self._commit(target, change, message=message, body=commit_body, properties=commit_properties,
                              merge_ref=source_spec.name)
        return Branch(name=target, hash=commit.hash)

    def get_commits(self, /, ref: Any, *, filter_by_message: Any = None, filter_by_author_username: Any = None,
                    filter_by_author_name: Any = None, filter_by_author_email: Any = None,
                    filter_by_authored_date: Any = None, filter_by_authored_date_start_at: Any = None,
                    filter_by_authored_date_end_at: Any = None, filter_by_parent_hash: Any = None,
                    filter_by_properties: Any = None, filter: Any = None, limit: Any = None) -> Iterator[Commit]:
        resolved = self._resolve(ref)
        start = _as_datetime(filter_by_authored_date_start_at)
        end = _as_datetime(filter_by_authored_date_end_at)
        exact = _as_datetime(filter_by_authored_date)
        try:
            expression = compile_filter(filter) if filter is not None else None
        except ValueError as exc:  # the SDK sends any string; Bauplan's catalog refuses a bad filter
            raise errors.bad_request(str(exc)) from None
        found: list[Commit] = []
        for record in self._catalog.history(resolved.commit.hash):
            authored = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
            email = record.author_email or ""
            if filter_by_message and not re.search(filter_by_message, record.message or ""):
                continue
            # Locally a user's name and username are the same string (info().user.full_name falls back to it).
            author_filter = filter_by_author_username or filter_by_author_name
            if author_filter and not re.search(author_filter, record.author):
                continue
            if filter_by_author_email and not re.search(filter_by_author_email, email):
                continue
            if filter_by_parent_hash and not any(p.startswith(filter_by_parent_hash.lower()) for p in record.parents):
                continue
            if filter_by_properties and any(record.properties.get(k) != v for k, v in filter_by_properties.items()):
                continue
            if (start and authored < start) or (end and authored > end) or (exact and authored != exact):
                continue
            if expression is not None and not _commit_matches(expression, _filter_fields(record, authored)):
                continue
            if limit is not None and len(found) >= limit:
                break
            found.append(_commit_object(record, resolved))
        return iter(found)


def _three_way_merge(base: CatalogState, source: CatalogState, target: CatalogState, source_name: str,
                     target_name: str) -> CatalogState:
    keys = set(base.tables) | set(source.tables) | set(target.tables)
    changed_on_source = {k for k in keys if source.tables.get(k) != base.tables.get(k)}
    changed_on_target = {k for k in keys if target.tables.get(k) != base.tables.get(k)}
    conflicts = sorted(k for k in changed_on_source & changed_on_target if source.tables.get(k) != target.tables.get(k))
    if conflicts:
        raise bx.MergeConflictError(
            409, "MERGE_CONFLICT",
            f"Cannot merge {source_name!r} into {target_name!r}: table(s) {', '.join(conflicts)} changed on both "
            "since they diverged; nothing was merged")
    merged = dict(target.tables)
    for key in changed_on_source:
        if key in source.tables:
            merged[key] = source.tables[key]
        else:
            merged.pop(key, None)
    namespaces = (target.namespaces | (source.namespaces - base.namespaces)) - (base.namespaces - source.namespaces)
    namespaces |= {k.split(".")[0] for k in merged}
    return CatalogState(frozenset(namespaces), merged)


def _commit_object(record: CommitRecord, resolved: Resolved) -> Commit:
    """A commit as Bauplan returns it: its `ref` addresses this very commit (time travel, tags)."""
    when = datetime.fromtimestamp(record.created_at, tz=timezone.utc)
    ref: Ref
    if resolved.kind == "tag":
        ref = Tag(name=resolved.name or "", hash=record.hash)
    elif resolved.name:
        ref = Branch(name=resolved.name, hash=record.hash)
    else:
        ref = DetachedRef(name="", hash=record.hash)
    parent = DetachedRef(name="", hash=record.parents[0]) if record.parents else DetachedRef(name="", hash="")
    merged = (Branch(name=record.merge_ref, hash=record.parents[1])
              if record.merge_ref and len(record.parents) > 1 else None)
    author = Actor(name=record.author, email=record.author_email)
    return Commit(ref=ref, message=record.message, body=record.body, author=author, authored_date=when,
                  committed_date=when, parent_hashes=list(record.parents), properties=dict(record.properties),
                  parent_ref=parent, parent_merge_ref=merged)


def _commit_matches(expression: Callable[[dict[str, Any]], bool], fields: dict[str, Any]) -> bool:
    try:
        return expression(fields)
    except ValueError as exc:  # a filter failing on a commit is a bad request, as one that does not parse
        raise errors.bad_request(str(exc)) from None


def _filter_fields(record: CommitRecord, authored: datetime) -> dict[str, Any]:
    """The variables a `get_commits(filter=...)` expression sees (see `commit_filter`)."""
    return {"hash": record.hash, "message": record.message or "", "author": record.author,
            "committer": record.author, "authorEmail": record.author_email or "", "authorTime": authored,
            "commitTime": authored, "properties": dict(record.properties), "parentHashes": list(record.parents)}


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
