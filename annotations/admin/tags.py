"""The tag admin, with merging, which only the project's curators may do."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse

from annotations import services
from annotations.admin.common import all_found, count_per_row
from annotations.models import Annotation, Tag
from annotations.permissions import visible_filter
from corpus.admin.access import (
    MemberProjectFilter,
    NoHardDeleteAdmin,
    ProjectRowsAdmin,
    has_model_permissions,
    may,
    projects_where,
)
from corpus.admin.versioned import VersionedAdmin, VersionedAdminForm
from corpus.roles import Action


class TagAdminForm(VersionedAdminForm):
    versioned = ("name", "colour", "description", "parent", "retired")

    class Meta:
        model = Tag
        fields = ["project", "name", "colour", "description", "parent", "retired"]

    # Set by TagAdmin.get_form: whose form it is.
    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "parent" in self.fields:
            # Another tag of its own project (one this user may be shown).
            parents = Tag.objects.filter(project_id=self.instance.project_id)
            if self.user is not None:
                parents = parents.offered_to_user(self.user)
            self.fields["parent"].queryset = parents.exclude(pk=self.instance.pk)

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
class TagAdmin(NoHardDeleteAdmin, VersionedAdmin, ProjectRowsAdmin):
    """A project's tags, changed and merged by its curators and owners; never
    deleted here (merged into another, or retired, instead)."""

    form = TagAdminForm
    change_action = Action.MODERATE
    list_display = ["name", "project", "parent", "colour", "retired", "usage"]
    list_filter = [("project", MemberProjectFilter), "retired"]
    list_select_related = ["project", "parent"]
    search_fields = ["name", "description"]
    actions = ["merge"]

    def get_queryset(self, request):
        # The annotations this user sees: others' private ones are not counted,
        # and a tag used only on them is not listed.
        tagged = Annotation.tags.through.objects.filter(
            visible_filter(request.user, "annotation__")
        )
        return (
            super()
            .get_queryset(request)
            .offered_to_user(request.user)
            .annotate(usage=count_per_row(tagged, "tag"))
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_fields(self, request, obj=None):
        fields = ["project", "name", "colour", "description", "parent", "retired"]
        return fields if obj is None else [*fields, "version", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        # Its annotations belong to its project: a tag does not move.
        return ["project", "version", "updated_by"] if obj is not None else []

    def has_merge_permission(self, request) -> bool:
        """Merging deletes the merged tags: the model's change and delete
        permissions (the project role is checked on the chosen tags)."""
        return has_model_permissions(request, self.opts, "change", "delete")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            # A new tag's parent: a tag of a project the user curates (the form
            # narrows it to the tag's own project).
            kwargs["queryset"] = Tag.objects.filter(
                project__in=projects_where(request, Action.MODERATE)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_version(self, request, obj, form, version: int) -> None:
        data = form.cleaned_data
        services.update_tag(
            tag=obj,
            version=version,
            editor=request.user,
            name=data["name"],
            colour=data["colour"],
            description=data["description"],
            parent=data["parent"],
            retired=data["retired"],
        )

    @admin.display(ordering="usage", description="annotations")
    def usage(self, tag) -> int:
        return tag.usage

    @admin.action(description="Merge selected tags into…", permissions=["merge"])
    def merge(self, request, queryset):
        """Choose one of the selected tags; the others are merged into it."""
        tags = list(queryset)
        problem = None
        if len(tags) < 2:
            problem = "Select two tags or more, including the one to keep."
        elif len({tag.project_id for tag in tags}) > 1:
            problem = "Select tags of one project: tags of several cannot be merged."
        elif not may(request, tags[0].project_id, Action.MODERATE):
            problem = "Only the project's curators and owners may merge its tags."
        elif not all_found(request, tags):
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
