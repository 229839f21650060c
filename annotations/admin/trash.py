"""The trash in the admin, filled in: corpus's admins for documents and projects
offer "Move to the trash", "Restore" and "Purge" (corpus.admin.trash.TrashAdmin),
and the trash is this app's (annotations.services.trash: a document goes with
everything on it). These subclasses carry out those actions and take the corpus
admins' place in the admin site.
"""

from __future__ import annotations

from django.contrib import admin

from annotations import services
from annotations.models import Annotation
from annotations.permissions import annotation_rule
from corpus.admin import documents, projects
from corpus.models import Document, Project


def _counted(request, **where) -> int:
    """The annotations a purge destroys, as its owner (or a superuser) sees
    them: shared ones and their own; others' private ones go too, uncounted, as
    everywhere else."""
    seen = annotation_rule(
        reader_id=request.user.pk, sees_unapproved=True, include_trash=True
    )
    return Annotation.objects.filter(seen, **where).count()


admin.site.unregister(Document)


@admin.register(Document)
class DocumentAdmin(documents.DocumentAdmin):
    def trash_row(self, document, by) -> None:
        services.trash_document(document=document, by=by)

    def restore_row(self, document, by) -> None:
        services.restore_document(document=document, by=by)

    def purge_row(self, document, by) -> None:
        services.purge_document(document=document, by=by)

    def purge_summary(self, request, document) -> str:
        shown = _counted(request, document=document)
        return f"its text, its original upload and {shown} annotation(s) with them"


admin.site.unregister(Project)


@admin.register(Project)
class ProjectAdmin(projects.ProjectAdmin):
    def trash_row(self, project, by) -> None:
        services.trash_project(project=project, by=by)

    def restore_row(self, project, by) -> None:
        services.restore_project(project=project, by=by)

    def purge_row(self, project, by) -> None:
        services.purge_project(project=project, by=by)

    def purge_summary(self, request, project) -> str:
        documents = Document.all_objects.filter(project=project).count()
        annotations = _counted(request, project=project)
        members = project.memberships.count()
        return (
            f"{documents} document(s), {annotations} annotation(s), {members} member(s)"
        )
