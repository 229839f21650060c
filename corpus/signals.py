"""Signals the corpus sends for the apps built on it (annotations listens)."""

from django.dispatch import Signal

# A project's pre-moderation setting changed: what its members see changes with
# it. Sent inside the saving transaction with `project`.
premoderation_changed = Signal()

# A project was created (corpus.services.create_project), with `project`, inside
# the transaction that makes it: annotations gives it its relation types.
project_created = Signal()

# A document was saved (corpus.services.save_document: its text, blocks and
# metadata) or its metadata changed (update_document_metadata), with
# `document` and `text_changed`, inside the transaction that saves it:
# annotations keeps its search index current.
document_saved = Signal()
