"""The annotation admin: its thread, links and history inline; its note, tags
and visibility edited by its author or the project's curators, through
update_annotation with the version the form was loaded at; and the curators'
decisions, which go through the services as in the app.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from annotations import services
from annotations.admin.common import (
    ReadOnlyInline,
    SoftDeleteAdmin,
    count_per_row,
    link_scope,
    link_target,
    may_change_row,
    reply_scope,
    seen,
)
from annotations.admin.decisions import DecisionActions
from annotations.models import (
    Annotation,
    AnnotationEvent,
    Link,
    Reply,
    Tag,
)
from annotations.permissions import visible_filter
from corpus.admin.access import (
    MemberProjectFilter,
    MemberRowsFilter,
)
from corpus.admin.versioned import ModelListField, VersionedAdmin, VersionedAdminForm


class ReplyInline(ReadOnlyInline):
    """The thread, read-only: replies are written and edited in the thread, where
    update_reply bumps their version.
    """

    model = Reply
    fields = ["author", "body", "created_at", "deleted_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(reply_scope(request.user))
            .select_related("author")
        )


class LinkInline(ReadOnlyInline):
    """Links out of the annotation, read-only: they are made in the reader."""

    model = Link
    fk_name = "source"
    verbose_name_plural = "links out"
    fields = ["relation", "target", "note", "author", "created_at", "deleted_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(link_scope(request.user))
            .select_related(
                "relation", "target_annotation", "target_document", "author"
            )
        )

    @admin.display(description="target")
    def target(self, link) -> str:
        return link_target(link)


class EventInline(ReadOnlyInline):
    """The history, read-only: it is never edited, here or anywhere."""

    model = AnnotationEvent
    fields = ["at", "actor", "kind", "before", "after", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class AnnotationAdminForm(VersionedAdminForm):
    versioned = ("body", "tags", "visibility")

    class Meta:
        model = Annotation
        fields = ["body", "tags", "visibility"]

    # Set by AnnotationAdmin.get_form: whose form it is.
    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            # The annotation's own project's tags, and no other's; of those, the
            # ones this user may be shown, and those the annotation has.
            offered = Tag.objects.filter(project_id=self.instance.project_id)
            if self.user is not None:
                offered = offered.offered_to_user(self.user)
            own = Q(annotations=self.instance.pk) if self.instance.pk else Q()
            self.fields["tags"].queryset = Tag.objects.filter(
                Q(pk__in=offered.values("pk")) | own
            ).distinct()


@admin.register(Annotation)
class AnnotationAdmin(DecisionActions, VersionedAdmin, SoftDeleteAdmin):
    form = AnnotationAdminForm
    list_display = [
        "document",
        "quote",
        "author",
        "status",
        "tag_names",
        "reply_count",
        "link_count",
        "visibility",
        "created_at",
        "deleted_at",
    ]
    list_display_links = ["quote"]
    list_filter = [
        ("project", MemberProjectFilter),
        "status",
        ("tags", MemberRowsFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
        "created_at",
        "visibility",
    ]
    search_fields = ["exact", "body", "author__username", "document__title"]
    list_select_related = ["document", "author"]
    actions = ["approve", "reject", "ask_for_revision", "soft_delete"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "project",
                    "document",
                    "author",
                    "status",
                    "visibility",
                    "body",
                    "tags",
                ]
            },
        ),
        (
            "Anchor",
            {
                "fields": [
                    "quote_in_context",
                    "start",
                    "end",
                    "exact",
                    "prefix",
                    "suffix",
                ]
            },
        ),
        (
            "Record",
            {
                "fields": [
                    "version",
                    "revision",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                    "deleted_by",
                ]
            },
        ),
    ]
    # Only the note, tags and visibility are edited here (through the service,
    # which records them); status changes only through the actions, with a reason.
    readonly_fields = [
        name
        for _title, options in fieldsets
        for name in options["fields"]
        if name not in ("body", "tags", "visibility")
    ]
    filter_horizontal = ["tags"]
    inlines = [ReplyInline, LinkInline, EventInline]

    def scope(self, request) -> Q:
        return seen(request.user)

    def get_queryset(self, request):
        user = request.user
        live = Link.objects.filter(deleted_at__isnull=True)
        links_out = live.filter(
            Q(target_annotation__isnull=True)
            | visible_filter(user, "target_annotation__")
        )
        links_in = live.filter(visible_filter(user, "source__"))
        return (
            super()
            .get_queryset(request)
            .with_reply_count()
            .annotate(
                link_count=count_per_row(links_out, "source")
                + count_per_row(links_in, "target_annotation")
            )
            .prefetch_related("tags")
        )

    def has_add_permission(self, request) -> bool:
        # Annotations are anchored in the reader, which checks the quote.
        return False

    def may_change(self, request, annotation) -> bool:
        # Its author or the project's curators, as in the app; a deleted one is
        # kept as it was.
        return annotation.deleted_at is None and may_change_row(
            request, annotation.project_id, annotation.author_id
        )

    def soft_delete_row(self, annotation, by) -> None:
        # Its links stay live rows but drop out of every read with it.
        services.delete_annotation(annotation=annotation, by=by)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            # The form narrows the choices to the annotation's project.
            kwargs["queryset"] = Tag.objects.none()
            kwargs["form_class"] = ModelListField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_version(self, request, obj, form, version: int) -> None:
        # Through the service, so the history records the edit as in the app.
        services.update_annotation(
            annotation=obj,
            editor=request.user,
            version=version,
            body=form.cleaned_data["body"],
            tags=form.cleaned_data["tags"],
            visibility=form.cleaned_data["visibility"],
        )

    def save_related(self, request, form, formsets, change) -> None:
        # The tags were saved by update_annotation; only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="quote")
    def quote(self, annotation) -> str:
        return str(annotation)

    @admin.display(description="tags")
    def tag_names(self, annotation) -> str:
        return ", ".join(tag.name for tag in annotation.tags.all())

    @admin.display(ordering="reply_count", description="replies")
    def reply_count(self, annotation) -> int:
        return annotation.reply_count

    @admin.display(ordering="link_count", description="links")
    def link_count(self, annotation) -> int:
        return annotation.link_count

    @admin.display(description="quote in context")
    def quote_in_context(self, annotation) -> str:
        return format_html(
            "{}<mark>{}</mark>{}",
            annotation.prefix,
            annotation.exact,
            annotation.suffix,
        )
