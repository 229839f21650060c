from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from annotations.services.revisions import redraw_project
        from corpus.signals import premoderation_changed

        premoderation_changed.connect(redraw_project, dispatch_uid="redraw_project")
