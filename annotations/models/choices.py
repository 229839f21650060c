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
