"""Writes to the corpus: projects, members, documents. No request, no messages.

One module per concern; everything is importable from here.
"""

from corpus.services.documents import update_document_metadata
from corpus.services.imports import DuplicateDocument, save_document, stage_upload
from corpus.services.projects import (
    add_member,
    change_role,
    create_project,
    remove_member,
    set_archived,
    unique_project_slug,
    update_project,
)

__all__ = [
    "DuplicateDocument",
    "add_member",
    "change_role",
    "create_project",
    "remove_member",
    "set_archived",
    "save_document",
    "stage_upload",
    "unique_project_slug",
    "update_document_metadata",
    "update_project",
]
