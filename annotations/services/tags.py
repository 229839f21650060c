"""Writes to the project's tag vocabulary: create, rename, merge, nest, retire."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Lower

from annotations.models import Annotation, AnnotationEvent, EventKind, Tag
from annotations.permissions import audience_of
from annotations.services import search
from annotations.services.revisions import record_change
from corpus.conflicts import EditConflict
from corpus.models import Project

# A note carries at most this many tags: enough for any coding scheme, and a
# bound on what one save may add to the vocabulary.
MAX_TAGS = 50

# New tags take these colours in turn (the least used in the project first):
# the Okabe-Ito colours, told apart with the common colour-vision deficiencies,
# then four more. Chips show them as a border beside dark text, highlights as a
# light tint under it, so the text keeps its contrast.
PALETTE = (
    "#e69f00",
    "#56b4e9",
    "#009e73",
    "#f0e442",
    "#0072b2",
    "#d55e00",
    "#cc79a7",
    "#999999",
    "#8c564b",
    "#17becf",
    "#bcbd22",
    "#9467bd",
)


def next_colour(project: Project) -> str:
    """The palette colour the project's tags use least (the first of those)."""
    used: dict[str, int] = dict.fromkeys(PALETTE, 0)
    for colour in Tag.objects.filter(project=project).values_list("colour", flat=True):
        if colour.lower() in used:
            used[colour.lower()] += 1
    return min(PALETTE, key=lambda colour: used[colour])


def _tidy(name: str) -> str:
    return " ".join(name.split())


def _existing(project: Project, name: str) -> Tag | None:
    """The project's tag of that name as the unique constraint sees it: both sides
    lowered by the database (whose idea of lower case, for "ΑΣ", is not
    always Python's)."""
    return (
        Tag.objects.filter(project=project)
        .annotate(lower=Lower("name"))
        .filter(lower=Lower(Value(name)))
        .first()
    )


@transaction.atomic
def get_or_create_tag(*, project: Project, name: str) -> Tag:
    """The project's tag of that name (any case), created if it does not exist.

    Two members saving the same new tag at once end with one tag: the second
    insert fails on the unique name and finds the first one's row.
    """
    name = _tidy(name)
    existing = _existing(project, name)
    if existing is not None:
        return existing
    tag = Tag(project=project, name=name, colour=next_colour(project))
    tag.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            tag.save()
            search.index_tag(tag, new=True)
    except IntegrityError:
        existing = _existing(project, name)
        if existing is None:
            raise
        return existing
    return tag


def resolve_tags(project: Project, tags: Iterable[Tag | str]) -> list[Tag]:
    """Tag rows for `tags` (rows or names), creating new names; at most MAX_TAGS."""
    tags = list(tags)
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            {
                "tags": f"A note can have at most {MAX_TAGS} tags; this one has "
                f"{len(tags)}."
            },
            code="too_many_tags",
        )
    # New names are created in one order everywhere: two notes saving "x, y"
    # and "y, x" at once then never wait for each other's new tag crosswise.
    names = sorted(
        {_tidy(tag) for tag in tags if isinstance(tag, str)}, key=str.casefold
    )
    by_name = {name: get_or_create_tag(project=project, name=name) for name in names}
    resolved, seen = [], set()
    for tag in tags:
        row = tag if isinstance(tag, Tag) else by_name[_tidy(tag)]
        # Names the database takes for one ("ΑΣ", "ασ") are one tag.
        if row.pk not in seen:
            seen.add(row.pk)
            resolved.append(row)
    if any(tag.project_id != project.pk for tag in resolved):
        raise ValidationError("A tag of another project cannot be used here.")
    return resolved


def _redraw_tagged(tags: list[Tag]) -> None:
    """Tag names show in highlights: mark every live annotation with these tags
    changed, for those who may see it, document by document."""
    if not tags:
        return
    premoderation = Project.objects.values_list("premoderation", flat=True).get(
        pk=tags[0].project_id
    )
    rows = (
        Annotation.objects.filter(
            tags__in=tags, deleted_at__isnull=True, in_trash=False
        )
        .values_list("pk", "document_id", "author_id", "visibility", "status")
        .distinct()
    )
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, document_id, author_id, visibility, status in rows:
        audience = audience_of(
            visibility=visibility, status=status, premoderation=premoderation
        )
        groups[(document_id, audience, author_id)].append(pk)
    # Document by document, in one order (the documents' row locks).
    for (document_id, audience, author_id), pks in sorted(groups.items()):
        Annotation.objects.filter(pk__in=pks).update(
            **record_change(document_id, audience, author_id)
        )


def _name_is_free(project_id: int, name: str, exclude: Tag | None = None) -> None:
    taken = (
        Tag.objects.filter(project_id=project_id)
        .annotate(lower=Lower("name"))
        .filter(lower=Lower(Value(name)))
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": f"The project already has a tag “{name}”."})


def _check_parent(tag: Tag, parent: Tag | None) -> None:
    if parent is None:
        return
    if parent.project_id != tag.project_id:
        raise ValidationError(
            {"parent": "A tag of another project cannot be the parent."}
        )
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk == tag.pk:
            raise ValidationError(
                {
                    "parent": f"“{parent.name}” is inside “{tag.name}”: that would "
                    "be a loop."
                }
            )
        ancestor = ancestor.parent


_UNSET = object()


@transaction.atomic
def update_tag(
    *,
    tag: Tag,
    version: int | None,
    editor: AbstractBaseUser | None = None,
    name: str | object = _UNSET,
    colour: str | object = _UNSET,
    description: str | object = _UNSET,
    parent: Tag | None | object = _UNSET,
    retired: bool | object = _UNSET,
) -> Tag:
    """Change a tag's name, colour, description, parent or retirement.

    The edit names the `version` it was made to and is refused (EditConflict)
    if the tag changed since; None skips the check (for the services' own use).
    """
    current = Tag.objects.select_for_update().filter(pk=tag.pk).first()
    if current is None or (version is not None and current.version != version):
        raise EditConflict(
            Tag.objects.select_related("updated_by", "parent").filter(pk=tag.pk).first()
            or tag
        )
    changed = {}
    if name is not _UNSET:
        name = _tidy(name)
        if not name:
            raise ValidationError({"name": "A tag needs a name."})
        if name != current.name:
            _name_is_free(current.project_id, name, exclude=current)
            changed["name"] = name
    if colour is not _UNSET and colour != current.colour:
        changed["colour"] = colour
    if description is not _UNSET and description != current.description:
        changed["description"] = description
    if parent is not _UNSET and getattr(parent, "pk", None) != current.parent_id:
        _check_parent(current, parent)
        changed["parent"] = parent
    if retired is not _UNSET and bool(retired) != current.retired:
        changed["retired"] = bool(retired)
    if not changed:
        return current
    for field, value in changed.items():
        setattr(current, field, value)
    current.version = F("version") + 1
    current.updated_by = editor
    current.full_clean(exclude=["version"], validate_constraints=False)
    try:
        with transaction.atomic():
            current.save(update_fields=[*changed, "version", "updated_by"])
    except IntegrityError:
        # Another tag took the name between the check and the save.
        raise ValidationError(
            {"name": f"The project already has a tag “{current.name}”."}
        ) from None
    current.refresh_from_db()
    if "name" in changed:
        search.index_tag(current)
    if "name" in changed or "colour" in changed:
        _redraw_tagged([current])
    return current


def rename_tag(*, tag: Tag, name: str, version: int | None = None, editor=None) -> Tag:
    """Give a tag a new name everywhere it is used."""
    return update_tag(tag=tag, version=version, editor=editor, name=name)


def set_tag_parent(
    *, tag: Tag, parent: Tag | None, version: int | None = None, editor=None
) -> Tag:
    """Place a tag under another (or at the top); no cycles, same project."""
    return update_tag(tag=tag, version=version, editor=editor, parent=parent)


def retire_tag(
    *, tag: Tag, retired: bool = True, version: int | None = None, editor=None
) -> Tag:
    """A retired tag stays on its annotations but is no longer offered."""
    return update_tag(tag=tag, version=version, editor=editor, retired=retired)


@transaction.atomic
def merge_tags(*, sources: Iterable[Tag], into: Tag, by: AbstractBaseUser) -> int:
    """Re-tag every annotation of `sources` with `into`, then remove `sources`.

    Each re-tagged annotation records the change in its history. Returns how
    many annotations were re-tagged.
    """
    sources = [tag for tag in sources if tag.pk != into.pk]
    if not sources:
        raise ValidationError("Choose at least one other tag to merge into it.")
    if any(tag.project_id != into.project_id for tag in sources):
        raise ValidationError("Tags of another project cannot be merged here.")
    _redraw_tagged([*sources, into])
    through = Annotation.tags.through
    affected = list(
        Annotation.objects.filter(tags__in=sources).distinct().prefetch_related("tags")
    )
    events = []
    for annotation in affected:
        before = sorted(tag.name for tag in annotation.tags.all())
        after = sorted(
            {tag.name for tag in annotation.tags.all() if tag not in sources}
            | {into.name}
        )
        events.append(
            AnnotationEvent(
                annotation=annotation,
                actor=by,
                kind=EventKind.TAGS,
                before=before,
                after=after,
                reason=f"Tags merged into “{into.name}”.",
            )
        )
    already = set(
        through.objects.filter(tag=into, annotation__in=affected).values_list(
            "annotation_id", flat=True
        )
    )
    through.objects.bulk_create(
        [
            through(annotation=annotation, tag=into)
            for annotation in affected
            if annotation.pk not in already
        ]
    )
    Tag.objects.filter(parent__in=sources).update(parent=into)
    Tag.objects.filter(pk__in=[tag.pk for tag in sources]).delete()
    Tag.objects.filter(pk=into.pk).update(version=F("version") + 1, updated_by=by)
    AnnotationEvent.objects.bulk_create(events)
    return len(affected)
