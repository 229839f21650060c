from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from annotations.services.relations import seed_relation_types
        from annotations.services.revisions import redraw_project
        from annotations.services.search import index_document
        from corpus.signals import (
            document_saved,
            premoderation_changed,
            project_created,
        )

        premoderation_changed.connect(redraw_project, dispatch_uid="redraw_project")
        project_created.connect(seed_relation_types, dispatch_uid="seed_relation_types")
        document_saved.connect(index_document, dispatch_uid="index_document")
