"""Every URL of the annotations app, by screen (namespace "annotations"): each
name leads to its view in annotations/views/<screen>.py, whose templates are in
templates/annotations/<screen>/."""

from django.urls import path

from annotations.views import (
    backups,
    curation,
    export,
    links,
    protocol,
    reading,
    relations,
    replies,
    revisions,
    search,
    tags,
    text,
    threads,
    trash,
)

app_name = "annotations"

urlpatterns = [
    # Reading: the text with its highlights, the margin, the poll.
    path("p/<slug:slug>/d/<id:pk>/", reading.document_detail, name="document_detail"),
    # Correcting the text: a block at a time or a corrected file; orphans.
    path("p/<slug:slug>/d/<id:pk>/text/", text.document_text, name="document_text"),
    path(
        "p/<slug:slug>/d/<id:pk>/text/version/",
        text.document_new_version,
        name="document_new_version",
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/resolve/", text.orphan_resolve, name="orphan_resolve"
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/reattach/",
        text.orphan_reattach,
        name="orphan_reattach",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/export/annotations.jsonld",
        export.export_annotations,
        name="document_export_annotations",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/export/annotations-csv.zip",
        export.export_csv,
        name="document_export_csv",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/export/tei.xml",
        export.export_tei,
        name="document_export_tei",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/export/edition.html",
        export.export_edition,
        name="document_export_edition",
    ),
    # Revisions: the text's history, each revision's changes, an earlier text
    # read and restored.
    path(
        "p/<slug:slug>/d/<id:pk>/revisions/",
        revisions.document_revisions,
        name="document_revisions",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/revisions/<id:number>/",
        revisions.revision_detail,
        name="revision_detail",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/revisions/<id:number>/changes/",
        revisions.revision_diff,
        name="revision_diff",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/revisions/<id:number>/restore/",
        revisions.revision_restore,
        name="revision_restore",
    ),
    path("p/<slug:slug>/search/", search.project_search, name="project_search"),
    path(
        "p/<slug:slug>/search/annotate/", search.search_annotate, name="search_annotate"
    ),
    path(
        "p/<slug:slug>/search/hits.csv", search.search_hits_csv, name="search_hits_csv"
    ),
    path("p/<slug:slug>/export/", export.export_page, name="project_export"),
    path("p/<slug:slug>/export/prepare/", export.export_prepare, name="export_prepare"),
    path("p/<slug:slug>/export/<id:pk>/", export.export_detail, name="export_detail"),
    path("p/<slug:slug>/export/<id:pk>/file", export.export_file, name="export_file"),
    # The namespace of the export's own terms (w3c.Iris.namespace): no slash.
    path("ns", export.vocabulary, name="vocabulary"),
    path(
        "p/<slug:slug>/export/annotations-csv.zip",
        export.export_csv,
        name="project_export_csv",
    ),
    path(
        "p/<slug:slug>/export/annotations.jsonld",
        export.export_annotations,
        name="project_export_annotations",
    ),
    # Backups: an owner's download; a restore as a new project, and its progress.
    path("p/<slug:slug>/backup.zip", backups.project_backup, name="project_backup"),
    path("backups/restore/", backups.backup_restore, name="backup_restore"),
    path("backups/restore/<id:pk>/", backups.restore_detail, name="restore_detail"),
    # The W3C Web Annotation Protocol: containers, and each annotation's IRI.
    path("p/<slug:slug>/annotations/", protocol.container, name="w3c_container"),
    path(
        "p/<slug:slug>/annotations/documents/<id:pk>/",
        protocol.container,
        name="w3c_document_container",
    ),
    path("p/<slug:slug>/annotations/<id:pk>", protocol.annotation, name="w3c_note"),
    path(
        "p/<slug:slug>/annotations/replies/<id:pk>",
        protocol.annotation,
        {"kind": "reply"},
        name="w3c_reply",
    ),
    path(
        "p/<slug:slug>/annotations/links/<id:pk>",
        protocol.annotation,
        {"kind": "link"},
        name="w3c_link",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/",
        reading.annotation_list_hx,
        name="annotation_list_hx",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/changes/",
        reading.annotation_changes_hx,
        name="annotation_changes_hx",
    ),
    # Threads: an annotation, its note and decisions; its replies.
    path(
        "p/<slug:slug>/d/<id:pk>/annotate/",
        threads.annotation_new_hx,
        name="annotation_new_hx",
    ),
    path(
        "p/<slug:slug>/d/<id:pk>/annotations/new/",
        threads.annotation_create,
        name="annotation_create",
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/", threads.annotation_detail, name="annotation_detail"
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/edit/", threads.annotation_edit, name="annotation_edit"
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/delete/",
        threads.annotation_delete,
        name="annotation_delete",
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/status/",
        threads.annotation_status,
        name="annotation_status",
    ),
    path("p/<slug:slug>/a/<id:pk>/replies/", replies.reply_create, name="reply_create"),
    path("p/<slug:slug>/replies/<id:pk>/edit/", replies.reply_edit, name="reply_edit"),
    path(
        "p/<slug:slug>/replies/<id:pk>/delete/",
        replies.reply_delete,
        name="reply_delete",
    ),
    path(
        "p/<slug:slug>/preview/",
        replies.markdown_preview_hx,
        name="markdown_preview_hx",
    ),
    # Links: the picker, side by side, the Links page.
    path("p/<slug:slug>/a/<id:pk>/link/", links.link_picker, name="link_picker"),
    path(
        "p/<slug:slug>/a/<id:pk>/link/search/",
        links.link_search_hx,
        name="link_search_hx",
    ),
    path("p/<slug:slug>/a/<id:pk>/links/", links.link_create, name="link_create"),
    path(
        "p/<slug:slug>/a/<id:pk>/link/compare/", links.link_compare, name="link_compare"
    ),
    path(
        "p/<slug:slug>/a/<id:pk>/link/passage/", links.link_passage, name="link_passage"
    ),
    path("p/<slug:slug>/links/<id:pk>/delete/", links.link_delete, name="link_delete"),
    path("p/<slug:slug>/links/", links.link_list, name="link_list"),
    # Relation types: the kinds of link a project offers.
    path("p/<slug:slug>/links/types/", relations.relation_types, name="relation_types"),
    path(
        "p/<slug:slug>/links/types/new/",
        relations.relation_type_create,
        name="relation_type_create",
    ),
    path(
        "p/<slug:slug>/links/types/<id:pk>/",
        relations.relation_type_edit,
        name="relation_type_edit",
    ),
    # Curation: the queue of annotations to decide on.
    path("p/<slug:slug>/curation/", curation.curation_queue, name="curation_queue"),
    path(
        "p/<slug:slug>/curation/decide/",
        curation.curation_decide,
        name="curation_decide",
    ),
    # Tags: the vocabulary, the note forms' suggestions, the colour stylesheet.
    path("p/<slug:slug>/tags/", tags.tag_search_hx, name="tag_search_hx"),
    path("p/<slug:slug>/tags/manage/", tags.tag_manage, name="tag_manage"),
    path("p/<slug:slug>/tags/manage/<id:pk>/", tags.tag_edit, name="tag_edit"),
    path("p/<slug:slug>/tag-colours.css", tags.tag_colours, name="tag_colours"),
    # The trash: documents and projects, restored or purged.
    path(
        "p/<slug:slug>/d/<id:pk>/delete/", trash.document_trash, name="document_trash"
    ),
    path("p/<slug:slug>/trash/", trash.project_trash, name="project_trash"),
    path(
        "p/<slug:slug>/trash/<id:pk>/restore/",
        trash.document_restore,
        name="document_restore",
    ),
    path(
        "p/<slug:slug>/trash/<id:pk>/purge/",
        trash.document_purge,
        name="document_purge",
    ),
    path("p/<slug:slug>/delete/", trash.project_delete, name="project_delete"),
    path("trash/", trash.trashed_projects, name="trashed_projects"),
    path("trash/<id:pk>/restore/", trash.project_restore, name="project_restore"),
    path("trash/<id:pk>/purge/", trash.project_purge, name="project_purge"),
]
