"""Writes to the corpus: projects, members, invitations, documents. No request, no
messages.

One module per concern; everything is importable from here.
"""

from corpus.services.documents import (
    DuplicateDocument,
    import_file,
    save_document,
    update_document_metadata,
)
from corpus.services.imports import (
    InlineBudget,
    clear_imported,
    import_reviewed,
    retry_pending,
    save_review_choices,
    stage_upload,
    start_import,
)
from corpus.services.invitations import (
    accept_invitation,
    create_account,
    create_invitation,
    resend_invitation,
    revoke_invitation,
    send_invitation,
    sender_may_invite,
)
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
    "InlineBudget",
    "accept_invitation",
    "add_member",
    "change_role",
    "clear_imported",
    "create_account",
    "create_invitation",
    "create_project",
    "import_file",
    "import_reviewed",
    "remove_member",
    "resend_invitation",
    "retry_pending",
    "revoke_invitation",
    "set_archived",
    "save_document",
    "save_review_choices",
    "send_invitation",
    "sender_may_invite",
    "stage_upload",
    "start_import",
    "unique_project_slug",
    "update_document_metadata",
    "update_project",
]
