from django.urls import path

from audit import views
from audit.scim import page as scim_page

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", views.account, name="account"),
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
    path("orgs/<slug:slug>/scim/", scim_page.scim, name="org-scim"),
]
