"""URLs of links between passages and to sources (namespace "links")."""

from django.urls import path  # noqa: F401  (routes are added with the link views)

app_name = "links"

urlpatterns: list = []
