from django.contrib import admin
from django.db import models
from django.db.models import Count

from corpus.models import Document, Membership, PendingImport, Project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "document_count", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "created_by"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("memberships", distinct=True),
                _documents=Count("documents", distinct=True),
            )
        )

    @admin.display(ordering="_members", description="members")
    def member_count(self, project) -> int:
        return project._members

    @admin.display(ordering="_documents", description="documents")
    def document_count(self, project) -> int:
        return project._documents


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]
    autocomplete_fields = ["user", "project"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "project",
        "publisher",
        "published_date",
        "word_count",
        "format",
        "imported_at",
    ]
    list_filter = ["project", "format", "language", "imported_at"]
    search_fields = ["title", "publisher", "keywords_text", "source_url"]
    list_select_related = ["project"]
    date_hierarchy = "imported_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = [
        "project",
        *Document.METADATA_FIELDS,
        "word_count",
        "format",
        "original_filename",
        "original_encoding",
        "content_hash",
        "imported_by",
        "imported_at",
        "updated_at",
        "text",
        "blocks",
        "original_preview",
    ]
    readonly_fields = [
        "project",
        "word_count",
        "format",
        "original_filename",
        "original_encoding",
        "content_hash",
        "imported_by",
        "imported_at",
        "updated_at",
        "text",
        "blocks",
        "original_preview",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith(
            "changelist"
        ):
            return queryset.defer("text", "blocks", "links", "original")
        return queryset

    @admin.display(description="original upload")
    def original_preview(self, document) -> str:
        data = bytes(document.original)
        shown = data[:4000].decode(
            document.original_encoding or "utf-8", errors="replace"
        )
        more = f"\n… ({len(data)} bytes in all)" if len(data) > 4000 else ""
        return shown + more

    def has_add_permission(self, request) -> bool:
        # Documents come in through the importers, which keep the original.
        return False


@admin.register(PendingImport)
class PendingImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "project", "uploaded_by", "created_at"]
    list_select_related = ["project", "uploaded_by"]
    exclude = ["data"]
    readonly_fields = ["project", "uploaded_by", "filename", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
