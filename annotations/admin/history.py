"""The annotations' history, read-only: it is never edited, here or anywhere."""

from __future__ import annotations

from django.contrib import admin

from annotations.admin.common import seen
from annotations.models import AnnotationEvent
from corpus.admin.access import ReadOnlyAdmin


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "annotation", "actor", "kind", "reason"]
    list_filter = ["kind", "at"]
    search_fields = ["reason", "actor__username"]
    list_select_related = ["annotation", "actor"]

    def get_queryset(self, request):
        # An annotation's history is seen with it.
        return super().get_queryset(request).filter(seen(request.user, "annotation__"))
