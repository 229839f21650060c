"""URLs of the trash (namespace "trash")."""

from django.urls import path

from annotations import trash_views

app_name = "trash"

urlpatterns = [
    path(
        "p/<slug:slug>/d/<id:pk>/delete/",
        trash_views.document_trash,
        name="document_trash",
    ),
    path("p/<slug:slug>/trash/", trash_views.project_trash, name="project_trash"),
    path(
        "p/<slug:slug>/trash/<id:pk>/restore/",
        trash_views.document_restore,
        name="document_restore",
    ),
    path(
        "p/<slug:slug>/trash/<id:pk>/purge/",
        trash_views.document_purge,
        name="document_purge",
    ),
    path("p/<slug:slug>/delete/", trash_views.project_delete, name="project_delete"),
    path("trash/", trash_views.trashed_projects, name="trashed_projects"),
    path("trash/<id:pk>/restore/", trash_views.project_restore, name="project_restore"),
    path("trash/<id:pk>/purge/", trash_views.project_purge, name="project_purge"),
]
