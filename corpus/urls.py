from django.urls import path

from corpus import views

app_name = "corpus"

urlpatterns = [
    path("", views.project_list, name="project_list"),
]
