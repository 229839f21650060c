from django.urls import path, register_converter

from corpus import views
from corpus.services.invitations import TOKEN_PATTERN
from corpus.views import imports, people


class InvitationTokenConverter:
    """An invitation link's token: anything else is no link at all (404)."""

    regex = TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(InvitationTokenConverter, "invitation_token")

app_name = "corpus"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("p/<slug:slug>/", views.project_detail, name="project_detail"),
    path("p/<slug:slug>/settings/", views.project_settings, name="project_settings"),
    path("p/<slug:slug>/archive/", views.project_archive, name="project_archive"),
    path("p/<slug:slug>/members/", views.project_members, name="project_members"),
    path("p/<slug:slug>/members/add/", views.member_add, name="member_add"),
    path("p/<slug:slug>/members/<id:pk>/role/", views.member_role, name="member_role"),
    path(
        "p/<slug:slug>/members/<id:pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("p/<slug:slug>/members/invite/", views.member_invite, name="member_invite"),
    path(
        "p/<slug:slug>/invitations/<id:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "p/<slug:slug>/invitations/<id:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "invite/<invitation_token:token>/",
        views.invitation_open,
        name="invitation_open",
    ),
    path("invite/", views.invitation_accept, name="invitation_accept"),
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    # A person's IRI in the W3C export (annotations.w3c.Iris.person): no slash.
    path("people/<id:pk>", people.person, name="person"),
    path(
        "accounts/tokens/<id:pk>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("p/<slug:slug>/import/", imports.import_upload, name="import_upload"),
    path("p/<slug:slug>/import/review/", imports.import_review, name="import_review"),
    path(
        "p/<slug:slug>/import/progress/",
        imports.import_progress_hx,
        name="import_progress_hx",
    ),
    path("p/<slug:slug>/import/all/", imports.import_all, name="import_all"),
    path("p/<slug:slug>/import/clear/", imports.import_clear, name="import_clear"),
    path(
        "p/<slug:slug>/import/<id:pk>/", imports.import_confirm, name="import_confirm"
    ),
    path(
        "p/<slug:slug>/import/<id:pk>/choices/",
        imports.import_choices,
        name="import_choices",
    ),
    path(
        "p/<slug:slug>/import/<id:pk>/retry/",
        imports.import_retry,
        name="import_retry",
    ),
    path(
        "p/<slug:slug>/import/<id:pk>/discard/",
        imports.import_discard,
        name="import_discard",
    ),
    path("p/<slug:slug>/d/<id:pk>/edit/", views.document_edit, name="document_edit"),
]
