from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from config.accounts import (
    ChangePasswordForm,
    NewPasswordForm,
    PasswordResetRequestForm,
)

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
        auth_views.PasswordChangeView.as_view(form_class=ChangePasswordForm),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Password reset by email (Django's views; config/accounts.py: the same answer
    # whether or not an account has the address, a limit per address and
    # client, and the new password ends the account's sign-in pause).
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetRequestForm,
            subject_template_name="email/password_reset_subject.txt",
            email_template_name="email/password_reset.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("annotations.urls")),
    path("", include("corpus.urls")),
]
