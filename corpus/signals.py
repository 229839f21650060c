"""Signals the corpus sends for the apps built on it (annotations listens)."""

from django.dispatch import Signal

# A project's pre-moderation setting changed: what its members see changes with
# it. Sent inside the saving transaction with `project`.
premoderation_changed = Signal()
