from django.urls import path

from audit import org_views, portal_views, views
from audit.scim import page as scim_page
from auditsite.security import embeddable

# The org pages are embeddable: a host product may frame them (SPEC 10).

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", views.account, name="account"),
    path("portal/<str:token>", portal_views.portal_open, name="portal-open"),
    path(
        "orgs/<slug:slug>/audit-log/", embeddable(views.audit_log), name="org-audit-log"
    ),
    path(
        "orgs/<slug:slug>/audit-log/export.<str:fmt>",
        embeddable(views.audit_log_export),
        name="org-audit-log-export",
    ),
    path(
        "orgs/<slug:slug>/audit-log/exports/<uuid:export_id>/",
        embeddable(views.customer_export_detail),
        name="org-customer-export",
    ),
    path(
        "orgs/<slug:slug>/audit-log/exports/download/<str:token>",
        embeddable(views.customer_export_download),
        name="org-customer-export-download",
    ),
    path(
        "orgs/<slug:slug>/audit-log/<uuid:event_id>/",
        embeddable(views.event_detail),
        name="org-audit-event",
    ),
    path("orgs/<slug:slug>/members/", embeddable(views.members), name="org-members"),
    path(
        "orgs/<slug:slug>/api-keys/",
        embeddable(org_views.api_keys),
        name="org-api-keys",
    ),
    path(
        "orgs/<slug:slug>/api-keys/<int:key_id>/delete/",
        embeddable(org_views.api_key_delete),
        name="org-api-key-delete",
    ),
    path("orgs/<slug:slug>/scim/", embeddable(scim_page.scim), name="org-scim"),
]
