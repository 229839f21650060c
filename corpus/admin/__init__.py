"""The corpus admin: projects, members, documents and pending imports, by the
project roles (access), with versioned change forms (versioned) and the trash in
place of deleting (trash); the site's own records for superusers (system).
"""

from corpus.admin import documents, projects, system

__all__ = ["documents", "projects", "system"]
