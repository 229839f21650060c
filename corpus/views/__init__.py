from corpus.views.documents import document_edit
from corpus.views.imports import (
    import_all,
    import_confirm,
    import_discard,
    import_review,
    import_upload,
)
from corpus.views.invitations import (
    invitation_accept,
    invitation_open,
    invitation_resend,
    invitation_revoke,
    member_invite,
)
from corpus.views.projects import (
    member_add,
    member_remove,
    member_role,
    project_archive,
    project_create,
    project_detail,
    project_list,
    project_members,
    project_settings,
)

__all__ = [
    "document_edit",
    "import_all",
    "import_confirm",
    "import_discard",
    "import_review",
    "import_upload",
    "invitation_accept",
    "invitation_open",
    "invitation_resend",
    "invitation_revoke",
    "member_add",
    "member_invite",
    "member_remove",
    "member_role",
    "project_archive",
    "project_create",
    "project_detail",
    "project_list",
    "project_members",
    "project_settings",
]
