"""Admin screens for annotations, tags, links and their history.

Each user sees what the app shows them (permissions.visible_filter, and deleted
rows to those who moderate) and acts as their project role allows
(corpus.admin.access); superusers see every project, but others' private
annotations stay their authors'. Edits, curation decisions, tag merges and
deletions go through the services, as in the app, all or nothing; edit forms
carry their version (corpus.admin.versioned). Nothing is hard-deleted here:
deleted rows stay, for curators. The trash actions of the corpus admins for
documents and projects are carried out here too (trash).
"""

from annotations.admin import annotation, history, links, replies, tags, trash

__all__ = ["annotation", "history", "links", "replies", "tags", "trash"]
