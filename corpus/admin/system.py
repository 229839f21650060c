"""The site's own records in the admin (sign-in failures, background tasks):
they belong to no project, so no project role opens them; superusers only.

Their apps register their own admins; this wraps each, whatever it allows, in a
superusers-only check. The tasks app comes after ours in INSTALLED_APPS, so its
admin module is imported here first (the admin's autodiscovery then finds it
imported and does not register it again).
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.contrib import admin
from django.utils.module_loading import module_has_submodule

SYSTEM_APPS = ["axes", "django_tasks_db"]


class SuperusersOnly:
    """Refuse everything to anyone but a superuser, on top of the admin's rules."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def _superusers_only(site: admin.AdminSite) -> None:
    for config in apps.get_app_configs():
        if config.name not in SYSTEM_APPS:
            continue
        if module_has_submodule(config.module, "admin"):
            import_module(f"{config.name}.admin")
        for model in config.get_models():
            if not site.is_registered(model):
                continue
            model_admin = site.get_model_admin(model)
            if isinstance(model_admin, SuperusersOnly):
                continue
            wrapped = type(
                type(model_admin).__name__,
                (SuperusersOnly, type(model_admin)),
                {"__module__": __name__},
            )
            site.unregister(model)
            site.register(model, wrapped)


_superusers_only(admin.site)
