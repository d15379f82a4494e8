from django.urls import path

from audit import portal_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", views.account, name="account"),
    path("portal/<str:token>", portal_views.portal_open, name="portal-open"),
    path("orgs/<slug:slug>/audit-log/", views.audit_log, name="org-audit-log"),
    path(
        "orgs/<slug:slug>/audit-log/export.<str:fmt>",
        views.audit_log_export,
        name="org-audit-log-export",
    ),
    path(
        "orgs/<slug:slug>/audit-log/exports/<uuid:export_id>/",
        views.customer_export_detail,
        name="org-customer-export",
    ),
    path(
        "orgs/<slug:slug>/audit-log/exports/download/<str:token>",
        views.customer_export_download,
        name="org-customer-export-download",
    ),
    path(
        "orgs/<slug:slug>/audit-log/<uuid:event_id>/",
        views.event_detail,
        name="org-audit-event",
    ),
    path("orgs/<slug:slug>/members/", views.members, name="org-members"),
]
