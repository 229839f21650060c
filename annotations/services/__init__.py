"""Writes to annotations, replies and tags. No request, no messages.

One module per concern; everything is importable from here.
"""

from annotations.permissions import Audience, audience_of
from annotations.services.annotations import (
    CONTEXT_SIZE,
    REASON_REQUIRED,
    check_anchor,
    create_annotation,
    delete_annotation,
    set_status,
    touch_annotation,
    update_annotation,
)
from annotations.services.replies import create_reply, delete_reply, update_reply
from annotations.services.revisions import record_change
from annotations.services.tags import (
    MAX_TAGS,
    PALETTE,
    get_or_create_tag,
    merge_tags,
    rename_tag,
    resolve_tags,
    retire_tag,
    set_tag_parent,
    update_tag,
)
from annotations.services.trash import (
    TrashSummary,
    purge_document,
    purge_project,
    restore_document,
    restore_project,
    trash_document,
    trash_project,
    trash_summary,
)
from corpus.conflicts import EditConflict

__all__ = [
    "CONTEXT_SIZE",
    "MAX_TAGS",
    "PALETTE",
    "REASON_REQUIRED",
    "Audience",
    "EditConflict",
    "TrashSummary",
    "audience_of",
    "check_anchor",
    "create_annotation",
    "create_reply",
    "delete_annotation",
    "delete_reply",
    "get_or_create_tag",
    "merge_tags",
    "purge_document",
    "purge_project",
    "record_change",
    "rename_tag",
    "resolve_tags",
    "restore_document",
    "restore_project",
    "retire_tag",
    "set_status",
    "set_tag_parent",
    "touch_annotation",
    "trash_document",
    "trash_project",
    "trash_summary",
    "update_annotation",
    "update_reply",
    "update_tag",
]
