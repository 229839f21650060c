"""The role matrix: which role may do what in a project, written once.

Views ask `can(role, Action.X)`; the members page renders `MATRIX`; the tests
walk it for every view. A non-member has no role and may do nothing (404).
"""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    CURATOR = "curator", "Curator"
    ANNOTATOR = "annotator", "Annotator"
    VIEWER = "viewer", "Viewer"


class Action(StrEnum):
    READ = "read"
    ANNOTATE = "annotate"
    MODERATE = "moderate"
    IMPORT = "import"
    EDIT_METADATA = "edit_metadata"
    EDIT_TEXT = "edit_text"
    DELETE_DOCUMENT = "delete_document"
    MANAGE_MEMBERS = "manage_members"
    EDIT_PROJECT = "edit_project"


ACTION_LABELS: dict[Action, str] = {
    Action.READ: "Read documents and shared annotations",
    Action.ANNOTATE: "Annotate, reply and tag; edit and delete one's own",
    Action.MODERATE: "Edit, hide or delete others' annotations and replies",
    Action.IMPORT: "Import texts",
    Action.EDIT_METADATA: "Edit document metadata",
    Action.EDIT_TEXT: "Correct a document's text; settle orphaned annotations",
    Action.DELETE_DOCUMENT: "Delete documents",
    Action.MANAGE_MEMBERS: "Add and remove members, change roles",
    Action.EDIT_PROJECT: "Rename the project and edit its description",
}

_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.ANNOTATOR: frozenset({Action.READ, Action.ANNOTATE}),
    Role.CURATOR: frozenset(
        {
            Action.READ,
            Action.ANNOTATE,
            Action.MODERATE,
            Action.IMPORT,
            Action.EDIT_METADATA,
            Action.EDIT_TEXT,
        }
    ),
    Role.OWNER: frozenset(Action),
}


def can(role: str | None, action: Action) -> bool:
    """Whether `role` (None for a non-member) may perform `action`."""
    if role is None:
        return False
    return action in _ALLOWED[Role(role)]


def matrix() -> list[tuple[str, list[bool]]]:
    """Rows of (action label, [allowed for each role in Role order])."""
    return [
        (ACTION_LABELS[action], [action in _ALLOWED[role] for role in Role])
        for action in Action
    ]
