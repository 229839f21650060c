"""The corpus admin: projects, members, documents and pending imports, by the
project roles (access), with versioned change forms (versioned) and the trash in
place of deleting (trash); invitations, read-only, for owners (invitations); the
site's own records for superusers (system).
"""

from corpus.admin import documents, invitations, projects, system

__all__ = ["documents", "invitations", "projects", "system"]
