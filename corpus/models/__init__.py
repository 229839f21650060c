"""The corpus app's models: projects with their members and record (projects),
documents (documents), uploads waiting for review (imports), invitations
(invitations), personal API tokens (tokens), and the Versioned base of every
row people edit (versioned).
"""

from corpus.models.documents import (
    Document,
    DocumentFormat,
    DocumentQuerySet,
    LiveDocumentManager,
    RevisionKind,
    TextRevision,
    content_hash,
)
from corpus.models.imports import (
    PENDING_QUEUE_PATIENCE,
    PENDING_WORK_PATIENCE,
    PendingImport,
    PendingStatus,
)
from corpus.models.invitations import (
    INVITATION_LIFETIME,
    Invitation,
    InvitationQuerySet,
    InvitationStatus,
)
from corpus.models.projects import (
    Membership,
    Project,
    ProjectEvent,
    ProjectEventKind,
    ProjectQuerySet,
)
from corpus.models.tokens import ApiToken
from corpus.models.versioned import Versioned

__all__ = [
    "ApiToken",
    "INVITATION_LIFETIME",
    "PENDING_QUEUE_PATIENCE",
    "PENDING_WORK_PATIENCE",
    "Document",
    "DocumentFormat",
    "DocumentQuerySet",
    "Invitation",
    "InvitationQuerySet",
    "InvitationStatus",
    "LiveDocumentManager",
    "Membership",
    "PendingImport",
    "PendingStatus",
    "Project",
    "ProjectEvent",
    "ProjectEventKind",
    "ProjectQuerySet",
    "RevisionKind",
    "TextRevision",
    "Versioned",
    "content_hash",
]
