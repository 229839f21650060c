from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotations import styles
from config import views

urlpatterns = [
    # Monitors and load balancers ask for the root and the health check
    # without following redirects: both answer directly, with or without a slash.
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("healthz", views.healthz),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("p/<slug:slug>/tag-colours.css", styles.tag_colours, name="tag_colours"),
    path("", include("annotations.urls")),
    path("", include("annotations.link_urls")),
    path("", include("annotations.trash_urls")),
    path("", include("corpus.urls")),
]
