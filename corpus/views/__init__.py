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
from corpus.views.tokens import api_token_revoke, api_tokens

__all__ = [
    "api_token_revoke",
    "api_tokens",
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
