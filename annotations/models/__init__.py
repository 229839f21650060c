"""The annotations app's models: annotations with their replies and history
(annotations), the tag vocabulary (tags), links and relation types (links), a
document's counters of changes (counters), exports written and backups
restored by the worker (backups), the search index (search).
Who sees which row is annotations.permissions' to say.
"""

from annotations.models.annotations import (
    Annotation,
    AnnotationEvent,
    AnnotationQuerySet,
    Reply,
    ReplyQuerySet,
    SoftDeleted,
)
from annotations.models.backups import (
    Export,
    ExportKind,
    ExportStatus,
    Restore,
    RestoreStatus,
)
from annotations.models.choices import (
    REASON_REQUIRED,
    Anchoring,
    EventKind,
    Status,
    Visibility,
)
from annotations.models.counters import DocumentCounters
from annotations.models.links import (
    DEFAULT_RELATIONS,
    Link,
    RelationType,
    RelationTypeQuerySet,
)
from annotations.models.search import SearchEntry, SearchKind, SearchTally, SearchWord
from annotations.models.tags import Tag, TagQuerySet

__all__ = [
    "Anchoring",
    "DEFAULT_RELATIONS",
    "REASON_REQUIRED",
    "Annotation",
    "AnnotationEvent",
    "AnnotationQuerySet",
    "DocumentCounters",
    "EventKind",
    "Export",
    "ExportKind",
    "ExportStatus",
    "Link",
    "RelationType",
    "RelationTypeQuerySet",
    "Reply",
    "ReplyQuerySet",
    "SearchEntry",
    "SearchKind",
    "SearchTally",
    "SearchWord",
    "Restore",
    "RestoreStatus",
    "SoftDeleted",
    "Status",
    "Tag",
    "TagQuerySet",
    "Visibility",
]
