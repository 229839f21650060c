"""A project's whole record as one archive, and back again: the backup.

`archive.write` streams a zip of JSON Lines tables (every document with its
original upload, annotation, reply, link, tag, relation type, history entry,
membership and record of the project), `restore.restore` makes a new project
of one, all or nothing. `tables` says what each table holds; both sides read it,
so a field added to a model is written and restored without another word.
"""

from annotations.backup.tables import FORMAT, VERSION, ArchiveRefused

__all__ = ["FORMAT", "VERSION", "ArchiveRefused"]
