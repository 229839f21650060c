from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from annotations.services.relations import seed_relation_types
        from annotations.services.revisions import redraw_project
        from corpus.signals import premoderation_changed, project_created

        premoderation_changed.connect(redraw_project, dispatch_uid="redraw_project")
        project_created.connect(seed_relation_types, dispatch_uid="seed_relation_types")
