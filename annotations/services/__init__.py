"""Writes: annotations and their decisions, replies, tags, links, relation types,
the trash, and the revision counters every write moves. No request, no messages.

One module per concern; everything is importable from here.
"""

from annotations.permissions import Audience, audience_of
from annotations.services.annotations import (
    CONTEXT_SIZE,
    REASON_REQUIRED,
    anchored,
    annotate_passages,
    check_anchor,
    create_annotation,
    decide_all,
    delete_annotation,
    revised_since,
    set_status,
    tagged_for,
    touch_annotation,
    update_annotation,
)
from annotations.services.links import (
    check_source_url,
    create_link,
    delete_link,
    link_record,
)
from annotations.services.relations import (
    create_relation_type,
    seed_relation_types,
    update_relation_type,
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
    "annotate_passages",
    "revised_since",
    "tagged_for",
    "CONTEXT_SIZE",
    "anchored",
    "MAX_TAGS",
    "PALETTE",
    "REASON_REQUIRED",
    "Audience",
    "EditConflict",
    "TrashSummary",
    "audience_of",
    "check_anchor",
    "check_source_url",
    "create_annotation",
    "create_link",
    "create_relation_type",
    "create_reply",
    "decide_all",
    "delete_annotation",
    "delete_link",
    "delete_reply",
    "get_or_create_tag",
    "link_record",
    "merge_tags",
    "purge_document",
    "purge_project",
    "record_change",
    "rename_tag",
    "resolve_tags",
    "restore_document",
    "restore_project",
    "retire_tag",
    "seed_relation_types",
    "set_status",
    "set_tag_parent",
    "touch_annotation",
    "trash_document",
    "trash_project",
    "trash_summary",
    "update_annotation",
    "update_relation_type",
    "update_reply",
    "update_tag",
]
