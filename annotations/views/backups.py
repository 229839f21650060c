"""Backups: an owner downloads the project's archive; anyone signed in restores
one (written by this server) as a new project of theirs, with its progress."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations.backup import ArchiveRefused, archive
from annotations.forms import RestoreForm
from annotations.models import Restore
from annotations.services import backups
from corpus.access import HtmxHttpRequest, membership_for
from corpus.roles import Action

POLL_SECONDS = 2


@require_safe
@login_required
def project_backup(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's whole archive, as its owner sees it, streamed as written."""
    membership = membership_for(request, slug, Action.EDIT_PROJECT, archived_ok=True)
    response = StreamingHttpResponse(
        archive.write(membership.project, membership=membership),
        content_type="application/zip",
    )
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{membership.project.slug}-backup-{day}.zip"'
    )
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def backup_restore(request: HtmxHttpRequest) -> HttpResponse:
    """Upload a backup to restore it as a new project; the user's restores."""
    form = RestoreForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["archive"]
            try:
                job = backups.start_restore(
                    user=request.user,
                    upload=upload,
                    filename=upload.name,
                    size=upload.size,
                )
            except ArchiveRefused as error:
                form.add_error("archive", str(error))
            else:
                return redirect("annotations:restore_detail", pk=job.pk)
        status = 400
    return render(
        request,
        "annotations/backups/restore.html",
        {
            "form": form,
            "restores": Restore.objects.filter(user=request.user)[:20],
            "max_mb": settings.APPARATUS_MAX_BACKUP_BYTES // (1024 * 1024),
        },
        status=status,
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def restore_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A restore's progress (polled while it runs) and its outcome."""
    job = get_object_or_404(
        Restore.objects.select_related("project"), pk=pk, user=request.user
    )
    context = {"restore": job, "poll_seconds": POLL_SECONDS}
    if request.htmx:
        return render(request, "annotations/backups/_restore.html", context)
    return render(request, "annotations/backups/restore_detail.html", context)
