from django.contrib import admin
from django.db.models import Count, Q

from annotations.models import Annotation, AnnotationEvent, Reply, Tag, Visibility


class ReplyInline(admin.TabularInline):
    model = Reply
    extra = 0
    fields = ["author", "body", "created_at", "deleted_at"]
    readonly_fields = ["author", "created_at", "deleted_at"]


class EventInline(admin.TabularInline):
    """The history, read-only: it is never edited, here or anywhere."""

    model = AnnotationEvent
    extra = 0
    fields = ["at", "actor", "kind", "before", "after", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = [
        "quote",
        "document",
        "author",
        "status",
        "visibility",
        "reply_count",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["project", "status", "visibility", "tags", "created_at"]
    search_fields = ["exact", "body", "author__username", "document__title"]
    list_select_related = ["document", "author"]
    readonly_fields = [
        "project",
        "document",
        "author",
        "start",
        "end",
        "exact",
        "prefix",
        "suffix",
        "version",
        "revision",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted_by",
    ]
    filter_horizontal = ["tags"]
    inlines = [ReplyInline, EventInline]

    def get_queryset(self, request):
        # Private annotations are their author's alone, here as everywhere.
        return (
            super()
            .get_queryset(request)
            .filter(Q(visibility=Visibility.PROJECT) | Q(author=request.user))
            .annotate(_replies=Count("replies", distinct=True))
        )

    @admin.display(description="quote")
    def quote(self, annotation) -> str:
        return str(annotation)

    @admin.display(ordering="_replies", description="replies")
    def reply_count(self, annotation) -> int:
        return annotation._replies


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "colour", "usage"]
    list_filter = ["project"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_usage=Count("annotations"))

    @admin.display(ordering="_usage", description="annotations")
    def usage(self, tag) -> int:
        return tag._usage


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["annotation", "author", "created_at", "deleted_at"]
    search_fields = ["body", "author__username"]
    list_select_related = ["annotation", "author"]
    readonly_fields = ["annotation", "author", "created_at", "updated_at", "version"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                Q(annotation__visibility=Visibility.PROJECT)
                | Q(annotation__author=request.user)
            )
        )


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(admin.ModelAdmin):
    list_display = ["at", "annotation", "actor", "kind", "reason"]
    list_filter = ["kind", "at"]
    search_fields = ["reason", "actor__username"]
    list_select_related = ["annotation", "actor"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                Q(annotation__visibility=Visibility.PROJECT)
                | Q(annotation__author=request.user)
            )
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
