"""Background work of the annotations app, run by `manage.py db_worker`
(django-tasks): backups restored through the web (services/backups.py, where a
request runs the same function for small ones) and large exports written to a
file (services/exports.py)."""

from __future__ import annotations

from django_tasks import task

from annotations.services import backups, exports


@task()
def restore_backup(restore_id: int) -> str:
    """Restore an uploaded backup as a new project."""
    return backups.run_restore(restore_id=restore_id)


@task()
def write_export(export_id: int) -> str:
    """Write a large export into its file."""
    return exports.run_export(export_id=export_id)
