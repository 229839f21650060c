"""The choices of annotation rows, apart so that annotations.permissions can
read them while the models load (the models' querysets call permissions)."""

from django.db import models


class Visibility(models.TextChoices):
    PROJECT = "project", "Shared with the project"
    PRIVATE = "private", "Private (only me)"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NEEDS_REVISION = "needs_revision", "Needs revision"


class Anchoring(models.TextChoices):
    """Where an annotation stands after the revisions of its text."""

    ANCHORED = "anchored", "On the text"
    # A revision took its passage away and it was not found again without
    # doubt: kept with everything on it, shown on no text, listed in the
    # document's Orphans panel until reattached or resolved.
    ORPHAN = "orphan", "Orphan"
    # An orphan a curator resolved (with a reason): off the panel, still kept.
    RESOLVED = "resolved", "Orphan, resolved"


# A curator's decision to reject or ask for a revision says why; the author's
# next edit of such a note is a revision and returns it to "submitted".
REASON_REQUIRED = (Status.REJECTED, Status.NEEDS_REVISION)


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    NOTE = "note", "Note edited"
    TAGS = "tags", "Tags changed"
    VISIBILITY = "visibility", "Visibility changed"
    DELETED = "deleted", "Deleted"
    LINK = "link", "Linked"
    UNLINK = "unlink", "Link deleted"
    # A revision of the text carried it: its quote edited or found again
    # (before/after: passage and quote), or lost (ORPHANED).
    REANCHORED = "reanchored", "Passage carried to revised text"
    ORPHANED = "orphaned", "Passage lost in a text revision"
    REATTACHED = "reattached", "Reattached to a passage"
    RESOLVED = "resolved", "Orphan resolved"
