"""URLs of links between passages and to sources (namespace "links")."""

from django.urls import path

from annotations import link_views

app_name = "links"

urlpatterns = [
    path("p/<slug:slug>/a/<id:pk>/link/", link_views.link_picker, name="link_picker"),
    path(
        "p/<slug:slug>/a/<id:pk>/link/search/",
        link_views.link_search_hx,
        name="link_search_hx",
    ),
    path("p/<slug:slug>/a/<id:pk>/links/", link_views.link_create, name="link_create"),
    path(
        "p/<slug:slug>/a/<id:pk>/link/compare/",
        link_views.link_compare,
        name="link_compare",
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/link/passage/",
        link_views.link_passage,
        name="link_passage",
    ),
    path(
        "p/<slug:slug>/links/<id:pk>/delete/",
        link_views.link_delete,
        name="link_delete",
    ),
    path("p/<slug:slug>/links/", link_views.link_list, name="link_list"),
    path(
        "p/<slug:slug>/links/types/",
        link_views.relation_types,
        name="relation_types",
    ),
    path(
        "p/<slug:slug>/links/types/new/",
        link_views.relation_type_create,
        name="relation_type_create",
    ),
    path(
        "p/<slug:slug>/links/types/<id:pk>/",
        link_views.relation_type_edit,
        name="relation_type_edit",
    ),
]
