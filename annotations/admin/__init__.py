"""Admin screens for annotations, tags, links and their history.

Curation decisions, tag merges and deletions go through the services, as in the
app, and only for those who may moderate the project (or superusers): all or
nothing. Nothing is hard-deleted here: deleted rows stay, for curators.
"""

from annotations.admin import annotation, history, links, replies, tags

__all__ = ["annotation", "history", "links", "replies", "tags"]
