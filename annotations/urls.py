from django.urls import path

from annotations import tag_views, views

app_name = "annotations"

urlpatterns = [
    path(
        "p/<slug:slug>/d/<id:pk>/annotate/",
        views.annotation_new_hx,
        name="annotation_new_hx",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/",
        views.annotation_list_hx,
        name="annotation_list_hx",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/new/",
        views.annotation_create,
        name="annotation_create",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/changes/",
        views.annotation_changes_hx,
        name="annotation_changes_hx",
    ),
    path("p/<slug:slug>/a/<id:pk>/", views.annotation_detail, name="annotation_detail"),
    path(
        "p/<slug:slug>/a/<id:pk>/edit/", views.annotation_edit, name="annotation_edit"
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/delete/",
        views.annotation_delete,
        name="annotation_delete",
    ),
    path("p/<slug:slug>/a/<id:pk>/replies/", views.reply_create, name="reply_create"),
    path(
        "p/<slug:slug>/a/<id:pk>/status/",
        views.annotation_status,
        name="annotation_status",
    ),
    path("p/<slug:slug>/replies/<id:pk>/edit/", views.reply_edit, name="reply_edit"),
    path(
        "p/<slug:slug>/replies/<id:pk>/delete/",
        views.reply_delete,
        name="reply_delete",
    ),
    path("p/<slug:slug>/tags/", tag_views.tag_search_hx, name="tag_search_hx"),
    path("p/<slug:slug>/tags/manage/", tag_views.tag_manage, name="tag_manage"),
    path("p/<slug:slug>/tags/manage/<id:pk>/", tag_views.tag_edit, name="tag_edit"),
    path("p/<slug:slug>/curation/", views.curation_queue, name="curation_queue"),
    path(
        "p/<slug:slug>/curation/decide/",
        views.curation_decide,
        name="curation_decide",
    ),
    path(
        "p/<slug:slug>/preview/", views.markdown_preview_hx, name="markdown_preview_hx"
    ),
]
