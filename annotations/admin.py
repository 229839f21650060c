"""Admin screens for annotations, tags, links and their history.

Curation decisions and tag merges go through the services, as in the app, and
only for those who may moderate the project (or superusers): all or nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.utils.html import format_html

from annotations import services
from annotations.models import (
    MODERATING_ROLES,
    Annotation,
    AnnotationEvent,
    Link,
    RelationType,
    Reply,
    Status,
    Tag,
    Visibility,
)
from corpus.models import Membership


def _shown(user, prefix: str = "") -> Q:
    """Private annotations are their author's alone, here as everywhere."""
    return Q(**{f"{prefix}visibility": Visibility.PROJECT}) | Q(
        **{f"{prefix}author": user}
    )


def _refused(user, project_ids: list[int]) -> int:
    """How many of the rows (one project id each) `user` may not moderate."""
    if user.is_superuser:
        return 0
    allowed = set(
        Membership.objects.filter(
            user=user, role__in=MODERATING_ROLES, project_id__in=set(project_ids)
        ).values_list("project_id", flat=True)
    )
    return sum(project_id not in allowed for project_id in project_ids)


def _all_found(request, rows: list) -> bool:
    """Whether every selected row is still there (not gone, not hidden)."""
    return len(rows) >= len(set(request.POST.getlist(ACTION_CHECKBOX_NAME)))


def _count(links: QuerySet, field: str) -> Coalesce:
    """Count `links` per `field` = the outer row, as a correlated subquery."""
    per_row = (
        links.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_row), 0)


def _link_target(link: Link) -> str:
    if link.target_annotation_id is not None:
        return str(link.target_annotation)
    if link.target_document_id is not None:
        return f"document: {link.target_document}"
    return link.target_title or link.target_url


class ReplyInline(admin.TabularInline):
    model = Reply
    extra = 0
    fields = ["author", "body", "created_at", "deleted_at"]
    readonly_fields = ["author", "created_at", "deleted_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request, obj=None) -> bool:
        # Replies are written in the thread, which names their author.
        return False


class LinkInline(admin.TabularInline):
    """Links out of the annotation, read-only: they are made in the reader."""

    model = Link
    fk_name = "source"
    extra = 0
    verbose_name_plural = "links out"
    fields = ["relation", "target", "note", "author", "created_at", "deleted_at"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                Q(target_annotation__isnull=True)
                | _shown(request.user, "target_annotation__")
            )
            .select_related(
                "relation", "target_annotation", "target_document", "author"
            )
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="target")
    def target(self, link) -> str:
        return _link_target(link)


class EventInline(admin.TabularInline):
    """The history, read-only: it is never edited, here or anywhere."""

    model = AnnotationEvent
    extra = 0
    fields = ["at", "actor", "kind", "before", "after", "reason"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
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
        "project",
        "status",
        "tags",
        ("author", admin.RelatedOnlyFieldListFilter),
        "created_at",
        "visibility",
    ]
    search_fields = ["exact", "body", "author__username", "document__title"]
    list_select_related = ["document", "author"]
    actions = ["approve", "reject", "ask_for_revision"]
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
    # Status changes only through the actions, which record them with a reason.
    readonly_fields = [
        "project",
        "document",
        "author",
        "status",
        "quote_in_context",
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
    inlines = [ReplyInline, LinkInline, EventInline]

    def get_queryset(self, request):
        user = request.user
        live = Link.objects.filter(deleted_at__isnull=True)
        links_out = live.filter(
            Q(target_annotation__isnull=True)
            | (
                Q(target_annotation__deleted_at__isnull=True)
                & _shown(user, "target_annotation__")
            )
        )
        links_in = live.filter(
            _shown(user, "source__"), source__deleted_at__isnull=True
        )
        return (
            super()
            .get_queryset(request)
            .filter(_shown(user))
            .with_reply_count()
            .annotate(
                link_count=_count(links_out, "source")
                + _count(links_in, "target_annotation")
            )
            .prefetch_related("tags")
        )

    def has_add_permission(self, request) -> bool:
        # Annotations are anchored in the reader, which checks the quote.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.deleted_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        object_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name == "tags" and object_id is not None:
            project = Annotation.objects.filter(pk=object_id).values("project_id")
            kwargs["queryset"] = Tag.objects.filter(project_id=Subquery(project))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        # Through the service, so the history records the edit as in the app.
        current = Annotation.objects.get(pk=obj.pk)
        services.update_annotation(
            annotation=current,
            editor=request.user,
            version=current.version,
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

    @admin.action(description="Approve selected annotations…", permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, Status.APPROVED, "approve")

    @admin.action(description="Reject selected annotations…", permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, Status.REJECTED, "reject")

    @admin.action(
        description="Send selected annotations back for revision…",
        permissions=["change"],
    )
    def ask_for_revision(self, request, queryset):
        return self._decide(
            request, queryset, Status.NEEDS_REVISION, "ask_for_revision"
        )

    def _decide(self, request, queryset, status: str, action: str):
        """Ask for the reason, then set the status of every row, or of none."""
        annotations = list(queryset)
        refused = _refused(request.user, [a.project_id for a in annotations])
        if refused:
            self.message_user(
                request,
                f"Nothing was changed: you may not decide on {refused} of the "
                f"{len(annotations)} selected annotations. Only the project's "
                "curators and owners may.",
                messages.ERROR,
            )
            return None
        if not _all_found(request, annotations):
            self.message_user(
                request,
                "Nothing was changed: some of the selected annotations are gone.",
                messages.ERROR,
            )
            return None
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for annotation in annotations:
                        services.set_status(
                            annotation=annotation,
                            by=request.user,
                            status=status,
                            reason=form.cleaned_data["reason"],
                        )
            except ValidationError as error:
                if set(getattr(error, "error_dict", {})) == {"reason"}:
                    form.add_error(None, error)
                else:
                    self.message_user(
                        request,
                        "Nothing was changed: " + " ".join(error.messages),
                        messages.ERROR,
                    )
                    return None
            else:
                self.message_user(
                    request,
                    f"{len(annotations)} annotation(s) marked "
                    f"“{Status(status).label}”.",
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "admin/annotations/annotation/decide.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Mark as “{Status(status).label}”",
                "opts": self.opts,
                "media": self.media,
                "annotations": annotations,
                "form": form,
                "action": action,
                "status_label": Status(status).label,
                "reason_required": status in services.REASON_REQUIRED,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["project", "name", "colour", "description", "parent", "retired"]

    def clean(self):
        data = super().clean()
        project = data.get("project") or getattr(self.instance, "project", None)
        parent = data.get("parent")
        if parent is None or project is None:
            return data
        if parent.project_id != project.pk:
            self.add_error("parent", "Choose a tag of the same project.")
            return data
        # The rule of services.set_tag_parent, checked here so the form shows it.
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == self.instance.pk:
                self.add_error("parent", "That tag is inside this one: a loop.")
                break
            ancestor = ancestor.parent
        return data


class MergeForm(forms.Form):
    into = forms.TypedChoiceField(
        label="Merge into", coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, tags: list[Tag], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [
            (tag.pk, f"{tag.name} ({tag.usage} annotation{pluralize(tag.usage)})")
            for tag in tags
        ]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagAdminForm
    list_display = ["name", "project", "parent", "colour", "retired", "usage"]
    list_filter = ["project", "retired"]
    list_select_related = ["project", "parent"]
    search_fields = ["name", "description"]
    actions = ["merge"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                usage=Count(
                    "annotations", filter=Q(annotations__deleted_at__isnull=True)
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # Its annotations belong to its project: a tag does not move.
        return ["project"] if obj is not None else []

    @admin.display(ordering="usage", description="annotations")
    def usage(self, tag) -> int:
        return tag.usage

    @admin.action(
        description="Merge selected tags into…", permissions=["change", "delete"]
    )
    def merge(self, request, queryset):
        """Choose one of the selected tags; the others are merged into it."""
        tags = list(queryset)
        problem = None
        if len(tags) < 2:
            problem = "Select two tags or more, including the one to keep."
        elif len({tag.project_id for tag in tags}) > 1:
            problem = "Select tags of one project: tags of several cannot be merged."
        elif _refused(request.user, [tags[0].project_id]):
            problem = "Only the project's curators and owners may merge its tags."
        elif not _all_found(request, tags):
            problem = "Some of the selected tags are gone."
        if problem:
            self.message_user(
                request, f"Nothing was changed: {problem}", messages.ERROR
            )
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, tags=tags)
        if form.is_valid():
            into = next(tag for tag in tags if tag.pk == form.cleaned_data["into"])
            try:
                count = services.merge_tags(sources=tags, into=into, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    "Nothing was changed: " + " ".join(error.messages),
                    messages.ERROR,
                )
                return None
            self.message_user(
                request,
                f"Merged {len(tags) - 1} tag(s) into “{into}”; "
                f"{count} annotation(s) re-tagged.",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/annotations/tag/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge tags",
                "opts": self.opts,
                "media": self.media,
                "tags": tags,
                "project": tags[0].project,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["annotation", "author", "created_at", "deleted_at"]
    search_fields = ["body", "author__username"]
    list_select_related = ["annotation", "author"]
    readonly_fields = ["annotation", "author", "created_at", "updated_at", "version"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(_shown(request.user, "annotation__"))
        )

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(admin.ModelAdmin):
    list_display = ["at", "annotation", "actor", "kind", "reason"]
    list_filter = ["kind", "at"]
    search_fields = ["reason", "actor__username"]
    list_select_related = ["annotation", "actor"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(_shown(request.user, "annotation__"))
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "retired", "usage"]
    list_filter = ["project", "retired"]
    list_select_related = ["project"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(usage=Count("links", filter=Q(links__deleted_at__isnull=True)))
        )

    def get_readonly_fields(self, request, obj=None):
        # Its links belong to its project: a relation type does not move.
        return ["project"] if obj is not None else []

    @admin.display(ordering="usage", description="links")
    def usage(self, relation) -> int:
        return relation.usage


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = [
        "source_quote",
        "relation",
        "target",
        "author",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["project", "relation", "created_at"]
    search_fields = ["note", "target_url", "target_title"]
    list_select_related = [
        "source",
        "relation",
        "target_annotation",
        "target_document",
        "author",
    ]
    fields = [
        "project",
        "source",
        "relation",
        "target",
        "target_title",
        "citation",
        "accessed",
        "note",
        "author",
        "created_at",
        "deleted_at",
        "deleted_by",
    ]
    # Where a link goes is checked when it is made, in the reader.
    readonly_fields = [
        "project",
        "source",
        "relation",
        "target",
        "author",
        "created_at",
        "deleted_at",
        "deleted_by",
    ]

    def get_queryset(self, request):
        user = request.user
        return (
            super()
            .get_queryset(request)
            .filter(_shown(user, "source__"))
            .filter(
                Q(target_annotation__isnull=True) | _shown(user, "target_annotation__")
            )
        )

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="source")
    def source_quote(self, link) -> str:
        return str(link.source)

    @admin.display(description="target")
    def target(self, link) -> str:
        return _link_target(link)
