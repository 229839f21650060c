from django.apps import AppConfig
from django.urls import register_converter


class CorpusConfig(AppConfig):
    name = "corpus"
    verbose_name = "Corpus"

    def ready(self) -> None:
        from corpus.params import IdConverter

        # <id:pk> in every URL: an id too long for the database is no match
        # (404), never an overflow (500).
        register_converter(IdConverter, "id")
