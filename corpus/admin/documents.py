"""Documents and pending imports in the admin, by the project roles.

A document's metadata is changed by those who may edit metadata, through
update_document_metadata with the version the form was loaded at; its text
never. Documents are not deleted here: they go to the trash and come back
(those who may delete documents), and are purged only from the trash; the
trash is the annotations app's, which fills in these actions
(annotations/admin/trash.py). Documents in the trash are listed, marked, to
those who may restore them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from corpus import services
from corpus.admin.access import (
    MemberProjectFilter,
    ProjectRowsAdmin,
    may,
    member_scope,
    memberships,
)
from corpus.admin.trash import TrashAdmin, TrashFilter
from corpus.admin.versioned import VersionedAdmin, VersionedAdminForm
from corpus.forms import DocumentMetadataFields
from corpus.models import Document, PendingImport
from corpus.roles import Action, can


class DocumentAdminForm(VersionedAdminForm, DocumentMetadataFields):
    versioned = Document.METADATA_FIELDS

    class Meta(DocumentMetadataFields.Meta):
        pass


@admin.register(Document)
class DocumentAdmin(VersionedAdmin, TrashAdmin, ProjectRowsAdmin):
    form = DocumentAdminForm
    change_action = Action.EDIT_METADATA
    list_display = [
        "title",
        "project",
        "state",
        "publisher",
        "published_date",
        "word_count",
        "format",
        "imported_at",
    ]
    list_filter = [
        ("project", MemberProjectFilter),
        TrashFilter,
        "format",
        "language",
        "imported_at",
    ]
    search_fields = ["title", "publisher", "keywords_text", "source_url"]
    list_select_related = ["project"]
    date_hierarchy = "imported_at"
    fields = [
        "project",
        "state",
        *Document.METADATA_FIELDS,
        "word_count",
        "format",
        "original_filename",
        "original_encoding",
        "content_hash",
        "imported_by",
        "imported_at",
        "updated_at",
        "version",
        "updated_by",
        "trashed_at",
        "trashed_by",
        "text",
        "blocks",
        "original_preview",
    ]
    readonly_fields = [name for name in fields if name not in Document.METADATA_FIELDS]
    actions = TrashAdmin.actions
    who_may = "the owners of their projects"

    def scope(self, request) -> Q:
        scope = member_scope(request.user)
        if request.user.is_superuser:
            return scope
        # The trash is listed to those who may restore from it.
        restorers = [
            pk
            for pk, membership in memberships(request).items()
            if can(membership.role, Action.DELETE_DOCUMENT)
        ]
        return scope & (Q(trashed_at__isnull=True) | Q(project_id__in=restorers))

    def get_queryset(self, request):
        # The default manager leaves the trash out; the admin lists it, marked.
        documents = Document.all_objects.filter(self.scope(request))
        ordering = self.get_ordering(request)
        if ordering:
            documents = documents.order_by(*ordering)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("changelist"):
            return documents.listing()
        return documents

    def may_change(self, request, row) -> bool:
        # A document in the trash is as it was when it went there.
        return not row.in_trash and super().may_change(request, row)

    def has_add_permission(self, request) -> bool:
        # Documents come in through the importers, which keep the original.
        return False

    def save_version(self, request, obj, form, version: int) -> None:
        services.update_document_metadata(
            document=obj,
            version=version,
            editor=request.user,
            **{name: form.cleaned_data[name] for name in Document.METADATA_FIELDS},
        )

    def may_trash(self, request, document) -> bool:
        return may(request, document.project_id, Action.DELETE_DOCUMENT)

    @admin.display(description="original upload")
    def original_preview(self, document) -> str:
        data = bytes(document.original)
        shown = data[:4000].decode(
            document.original_encoding or "utf-8", errors="replace"
        )
        more = f"\n… ({len(data)} bytes in all)" if len(data) > 4000 else ""
        return shown + more


@admin.register(PendingImport)
class PendingImportAdmin(ProjectRowsAdmin):
    """Uploads waiting for review: their uploader's alone (and superusers')."""

    list_display = [
        "filename",
        "project",
        "uploaded_by",
        "status",
        "size",
        "created_at",
    ]
    list_filter = [("project", MemberProjectFilter), "status"]
    list_select_related = ["project", "uploaded_by"]
    # The upload and its parse result are megabytes each: never loaded here.
    exclude = ["data", "parsed", "summary", "choices"]
    readonly_fields = [
        "project",
        "uploaded_by",
        "filename",
        "size",
        "status",
        "status_changed_at",
        "message",
        "document",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data", "parsed")

    def scope(self, request) -> Q:
        scope = super().scope(request)
        if request.user.is_superuser:
            return scope
        return scope & Q(uploaded_by=request.user)

    def has_add_permission(self, request) -> bool:
        return False
