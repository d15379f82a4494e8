from django.urls import include, path

from audit import org_views, portal_views, views
from audit.scim import page as scim_page
from auditsite.security import embeddable_pages

# The org pages are embeddable: a host product may frame them (SPEC 10).
org_pages = embeddable_pages(
    ("audit-log/", views.audit_log, "org-audit-log"),
    ("audit-log/export.<str:fmt>", views.audit_log_export, "org-audit-log-export"),
    (
        "audit-log/exports/<uuid:export_id>/",
        views.customer_export_detail,
        "org-customer-export",
    ),
    (
        "audit-log/exports/download/<str:token>",
        views.customer_export_download,
        "org-customer-export-download",
    ),
    ("audit-log/<uuid:event_id>/", views.event_detail, "org-audit-event"),
    ("members/", views.members, "org-members"),
    ("api-keys/", org_views.api_keys, "org-api-keys"),
    ("api-keys/<int:key_id>/delete/", org_views.api_key_delete, "org-api-key-delete"),
    ("scim/", scim_page.scim, "org-scim"),
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", views.account, name="account"),
    path("portal/<str:token>", portal_views.portal_open, name="portal-open"),
    path("orgs/<slug:slug>/", include(org_pages)),
]
