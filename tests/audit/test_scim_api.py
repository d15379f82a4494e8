"""SCIM 2.0 at /scim/v2/, called the way Okta and Microsoft Entra ID call it."""

import json

import pytest

from audit.models import AuditEvent, Membership, Role, ScimMembership, User
from audit.services import Actor
from audit.services.scim_keys import scim_key_create, scim_key_revoke
from tests.factories import MembershipFactory, UserFactory

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Idp:
    """An identity provider: a test client that sends the org's SCIM key."""

    def __init__(self, client, raw_key):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}

    def get(self, path, **params):
        return self.client.get(f"/scim/v2/{path}", params, **self.headers)

    def send(self, method, path, body=None, **headers):
        return getattr(self.client, method)(
            f"/scim/v2/{path}",
            data=json.dumps(body) if body is not None else "",
            content_type=SCIM,
            **self.headers,
            **headers,
        )


@pytest.fixture
def key_of(db):
    def make(org):
        scim_key, raw = scim_key_create(actor=Actor.system(), org=org)
        return scim_key, raw

    return make


@pytest.fixture
def idp(client, org, key_of):
    scim_key, raw = key_of(org)
    idp = Idp(client, raw)
    idp.key = scim_key
    return idp


def okta_user(email="ada@acme.example", **extra):
    return {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "ignored-Passw0rd",
        "active": True,
        **extra,
    }


def scim_events(**filters):
    return AuditEvent.objects.filter(caused_by_type="Scim", **filters)


def test_okta_flow_search_create_put_and_deactivate(idp, org):
    """Okta's calls: search finds nobody, create, PUT the user, PATCH active off."""
    found = idp.get(
        "Users", filter='userName eq "ada@acme.example"', startIndex=1, count=100
    )
    assert found.status_code == 200
    assert found["Content-Type"].startswith(SCIM)
    assert found.json()["totalResults"] == 0
    assert found.json()["Resources"] == []

    created = idp.send("post", "Users", okta_user())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["userName"] == "ada@acme.example"
    assert body["active"] is True
    assert body["externalId"] == "00u1abcd"
    assert body["meta"]["resourceType"] == "User"
    assert created["Location"] == body["meta"]["location"]
    assert created["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert created["ETag"] == body["meta"]["version"]
    assert "password" not in body
    user = User.objects.get(email="ada@acme.example")
    membership = Membership.objects.get(org=org, user=user)
    assert membership.role.name == "Member"

    again = idp.get("Users", filter='userName eq "ADA@acme.example"')
    assert again.json()["totalResults"] == 1
    assert again.json()["Resources"][0]["id"] == body["id"]

    put = idp.send(
        "put",
        f"Users/{body['id']}",
        okta_user(name={"givenName": "Augusta", "familyName": "King"}),
    )
    assert put.status_code == 200, put.content
    assert put.json()["name"] == {"givenName": "Augusta", "familyName": "King"}
    assert put["ETag"] != created["ETag"]

    patch = idp.send(
        "patch",
        f"Users/{body['id']}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
    )
    assert patch.status_code == 200, patch.content
    assert patch.json()["active"] is False
    assert not Membership.objects.filter(org=org, user=user).exists()
    still = idp.get(f"Users/{body['id']}")
    assert still.status_code == 200
    assert still.json()["active"] is False

    types = list(scim_events().order_by("seq").values_list("event_type", flat=True))
    assert types == [
        "UserCreated",
        "OrgUserAdded",
        "UserMetadataChanged",
        "OrgUserRemoved",
    ]
    assert set(scim_events().values_list("caused_by_id", flat=True)) == {
        str(idp.key.pk)
    }


def test_reactivating_gives_the_membership_back_with_its_role(idp, org):
    """active true after false adds them again (OrgUserAdded) with their old role."""
    user_id = idp.send("post", "Users", okta_user()).json()["id"]
    admin = Role.objects.get(name="Admin")
    idp.send(
        "patch",
        f"Groups/{admin.pk}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": user_id}]}
            ],
        },
    )
    off = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    idp.send("patch", f"Users/{user_id}", off)
    on = idp.send(
        "patch",
        f"Users/{user_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "active", "value": True}],
        },
    )
    assert on.json()["active"] is True
    assert Membership.objects.get(org=org, user_id=user_id).role == admin
    assert scim_events(event_type="OrgUserAdded").count() == 2


def test_entra_capitalised_ops_string_booleans_and_filtered_paths(idp, org):
    """Entra's "Replace", "False" and emails[type eq "work"].value are understood."""
    user_id = idp.send("post", "Users", okta_user(active="True")).json()["id"]
    response = idp.send(
        "patch",
        f"Users/{user_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "Replace", "path": "name.givenName", "value": "Grace"},
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "grace@acme.example",
                },
                {"op": "Replace", "path": "userName", "value": "grace@acme.example"},
                {"op": "Add", "path": "externalId", "value": "entra-42"},
                {"op": "Replace", "path": "active", "value": "False"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["userName"] == "grace@acme.example"
    assert body["name"]["givenName"] == "Grace"
    assert body["externalId"] == "entra-42"
    assert body["active"] is False
    assert not Membership.objects.filter(org=org, user_id=user_id).exists()
    assert scim_events(event_type="EmailChanged").count() == 1
    by_external = idp.get("Users", filter='externalId eq "entra-42"')
    assert by_external.json()["totalResults"] == 1


def test_entra_probe_for_unknown_user_is_an_empty_list(idp):
    """Entra's connection test filters on a random userName and wants 200, none."""
    response = idp.get("Users", filter='userName eq "a1b2c3d4-nobody"')
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


def test_existing_account_is_reused_and_its_other_orgs_untouched(idp, org, other_org):
    """An email that has an account elsewhere joins this org; the account stays."""
    existing = UserFactory(email="ada@acme.example", first_name="Ada", last_name="L")
    MembershipFactory(org=other_org, user=existing)
    created = idp.send(
        "post", "Users", okta_user(name={"givenName": "X", "familyName": "Y"})
    )
    assert created.status_code == 201
    assert created.json()["id"] == str(existing.pk)
    assert not scim_events(event_type="UserCreated").exists()
    idp.send(
        "put",
        f"Users/{existing.pk}",
        okta_user(name={"givenName": "Z", "familyName": "Q"}, active=False),
    )
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name) == ("Ada", "L")
    assert Membership.objects.filter(org=other_org, user=existing).exists()
    assert not Membership.objects.filter(org=org, user=existing).exists()
    refused = idp.send(
        "put", f"Users/{existing.pk}", okta_user(email="new@acme.example")
    )
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "mutability"


def test_key_never_sees_or_changes_another_orgs_member(idp, org, other_org, key_of):
    """Org A's key gets 404 for org B's member, and deactivation stays in org A."""
    shared = UserFactory(email="both@example.com")
    MembershipFactory(org=other_org, user=shared)
    outsider = MembershipFactory(org=other_org).user
    for method in ("get", "delete"):
        assert (
            getattr(idp.client, method)(
                f"/scim/v2/Users/{outsider.pk}", **idp.headers
            ).status_code
            == 404
        )
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    response = idp.send("patch", f"Users/{outsider.pk}", patch)
    assert response.status_code == 404
    assert response.json()["schemas"] == [ERROR_SCHEMA]
    assert response.json()["status"] == "404"
    listed = idp.get("Users").json()
    assert outsider.email not in [u["userName"] for u in listed["Resources"]]
    assert Membership.objects.filter(org=other_org, user=outsider).exists()

    MembershipFactory(org=org, user=shared, role=Role.objects.get(name="Member"))
    idp.send("patch", f"Users/{shared.pk}", patch)
    assert not Membership.objects.filter(org=org, user=shared).exists()
    assert Membership.objects.filter(org=other_org, user=shared).exists()
    _, raw_b = key_of(other_org)
    seen_by_b = Idp(idp.client, raw_b).get("Users").json()
    assert {u["userName"] for u in seen_by_b["Resources"]} == {
        shared.email,
        outsider.email,
    }
    assert all(u["active"] for u in seen_by_b["Resources"])
    group_add = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": str(outsider.pk)}]}
        ],
    }
    admin = Role.objects.get(name="Admin")
    assert idp.send("patch", f"Groups/{admin.pk}", group_add).status_code == 404
    assert Membership.objects.get(org=other_org, user=outsider).role.name == "Owner"


def test_delete_forgets_the_user_for_the_org_only(idp, org, other_org):
    """DELETE: 204, membership gone (OrgUserRemoved), then 404; account kept."""
    user_id = idp.send("post", "Users", okta_user()).json()["id"]
    MembershipFactory(org=other_org, user_id=user_id)
    response = idp.send("delete", f"Users/{user_id}")
    assert response.status_code == 204
    assert idp.get(f"Users/{user_id}").status_code == 404
    assert not ScimMembership.objects.filter(org=org).exists()
    assert User.objects.filter(pk=user_id).exists()
    assert Membership.objects.filter(org=other_org, user_id=user_id).exists()
    assert scim_events(event_type="OrgUserRemoved").count() == 1


def test_groups_are_roles_listed_filtered_and_members_managed(idp, org, plain_member):
    """Groups list the roles; member add/remove gives and takes the role here."""
    listed = idp.get("Groups").json()
    assert {g["displayName"] for g in listed["Resources"]} >= {
        "Owner",
        "Admin",
        "Member",
    }
    admin_group = idp.get("Groups", filter='displayName eq "admin"').json()
    assert admin_group["totalResults"] == 1
    admin = admin_group["Resources"][0]
    assert admin.get("members", []) == []

    add = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Add", "path": "members", "value": [{"value": str(plain_member.pk)}]}
        ],
    }
    response = idp.send("patch", f"Groups/{admin['id']}", add)
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [str(plain_member.pk)]
    assert Membership.objects.get(org=org, user=plain_member).role.name == "Admin"
    user_groups = idp.get(f"Users/{plain_member.pk}").json()["groups"]
    assert [g["display"] for g in user_groups] == ["Admin"]

    entra_remove = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {
                "op": "Remove",
                "path": "members",
                "value": [{"value": str(plain_member.pk)}],
            }
        ],
    }
    response = idp.send("patch", f"Groups/{admin['id']}", entra_remove)
    assert response.status_code == 200, response.content
    assert Membership.objects.get(org=org, user=plain_member).role.name == "Member"
    idp.send("patch", f"Groups/{admin['id']}", add)
    okta_remove = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "remove", "path": f'members[value eq "{plain_member.pk}"]'}
        ],
    }
    assert idp.send("patch", f"Groups/{admin['id']}", okta_remove).status_code == 200
    assert Membership.objects.get(org=org, user=plain_member).role.name == "Member"
    assert scim_events(event_type="OrgUserRoleChanged").count() == 4


def test_groups_cannot_be_created_renamed_or_deleted(idp):
    """Roles are shared by every org: create, rename and delete are 403 SCIM errors."""
    admin = Role.objects.get(name="Admin")
    create = idp.send(
        "post",
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Hackers",
        },
    )
    rename = idp.send(
        "patch",
        f"Groups/{admin.pk}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"displayName": "Boss"}}],
        },
    )
    delete = idp.send("delete", f"Groups/{admin.pk}")
    for response in (create, rename, delete):
        assert response.status_code == 403
        assert response.json()["schemas"] == [ERROR_SCHEMA]
        assert response.json()["status"] == "403"
    assert Role.objects.filter(name="Admin").exists()
    assert not Role.objects.filter(name__in=["Hackers", "Boss"]).exists()


def test_discovery_endpoints(idp):
    """ServiceProviderConfig, Schemas and ResourceTypes answer as RFC 7643 says."""
    config = idp.get("ServiceProviderConfig")
    assert config.status_code == 200
    assert config["Content-Type"].startswith(SCIM)
    assert config.json()["patch"]["supported"] is True
    assert config.json()["etag"]["supported"] is True
    schemas = idp.get("Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {
        USER_SCHEMA,
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    assert idp.get(f"Schemas/{USER_SCHEMA}").json()["name"] == "User"
    types = idp.get("ResourceTypes").json()
    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    assert idp.get("ResourceTypes/User").json()["schema"] == USER_SCHEMA


def test_pagination_with_start_index_and_count(idp, org):
    """startIndex is 1-based and count caps the page; totalResults counts all."""
    for n in range(5):
        MembershipFactory(org=org, user=UserFactory(email=f"u{n}@acme.example"))
    page = idp.get("Users", startIndex=2, count=2).json()
    assert page["totalResults"] == 5
    assert page["startIndex"] == 2
    assert [u["userName"] for u in page["Resources"]] == [
        "u1@acme.example",
        "u2@acme.example",
    ]


def test_revoked_or_wrong_key_is_401_scim_error(idp, client):
    """A revoked key, a wrong key or none at all: 401 with a SCIM error body."""
    scim_key_revoke(actor=Actor.system(), scim_key=idp.key)
    for headers in (idp.headers, {"HTTP_AUTHORIZATION": "Bearer sc_nope_nope"}, {}):
        response = client.get("/scim/v2/Users", **headers)
        assert response.status_code == 401
        assert response.json()["schemas"] == [ERROR_SCHEMA]
        assert response.json()["status"] == "401"


def test_bad_input_is_400_naming_the_field_and_writes_nothing(idp):
    """No userName, a non-email userName, a bad filter or op: 400, nothing recorded."""
    cases = [
        ("post", "Users", {"schemas": [USER_SCHEMA], "active": True}),
        ("post", "Users", okta_user(email="not-an-email")),
        ("post", "Users", okta_user(active="perhaps")),
    ]
    for method, path, body in cases:
        response = idp.send(method, path, body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["schemas"] == [ERROR_SCHEMA]
    assert (
        "active"
        in idp.send("post", "Users", okta_user(active="perhaps")).json()["detail"]
    )
    bad_filter = idp.get("Users", filter="userName eq")
    assert bad_filter.status_code == 400
    assert bad_filter.json()["scimType"] == "invalidFilter"
    assert (
        idp.client.post(
            "/scim/v2/Users", data="{nope", content_type=SCIM, **idp.headers
        ).status_code
        == 400
    )
    assert not User.objects.exists()
    assert not scim_events().exists()


def test_creating_someone_already_in_the_org_is_409(idp, member):
    """A user who is already a member: 409 uniqueness, nothing recorded."""
    response = idp.send("post", "Users", okta_user(email=member.email))
    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert not scim_events().exists()


def test_if_match_with_a_stale_etag_is_412(idp):
    """PUT with an old ETag in If-Match changes nothing (412)."""
    created = idp.send("post", "Users", okta_user())
    user_id = created.json()["id"]
    idp.send("put", f"Users/{user_id}", okta_user(externalId="v2"))
    stale = idp.send(
        "put",
        f"Users/{user_id}",
        okta_user(externalId="v3"),
        HTTP_IF_MATCH=created["ETag"],
    )
    assert stale.status_code == 412
    assert idp.get(f"Users/{user_id}").json()["externalId"] == "v2"


def test_entra_enterprise_extension_is_accepted_and_unknown_ones_ignored(idp):
    """Entra's enterprise attributes (create and PATCH) and custom URNs pass."""
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    body = okta_user(
        schemas=[USER_SCHEMA, enterprise, "urn:example:custom"],
        **{
            enterprise: {"department": "R&D", "employeeNumber": "7"},
            "urn:example:custom": {"badge": 12},
        },
    )
    created = idp.send("post", "Users", body)
    assert created.status_code == 201, created.content
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {"op": "Add", "path": f"{enterprise}:department", "value": "Sales"},
            {"op": "Replace", "path": "title", "value": "Engineer"},
        ],
    }
    response = idp.send("patch", f"Users/{created.json()['id']}", patch)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True


def test_unknown_endpoint_and_wrong_method_answer_scim_errors(idp):
    """/Bulk is a SCIM 404 and DELETE on /Users a SCIM 405, never an HTML page."""
    bulk = idp.send("post", "Bulk", {"Operations": []})
    assert bulk.status_code == 404
    assert bulk.json()["schemas"] == [ERROR_SCHEMA]
    wrong = idp.send("delete", "Users")
    assert wrong.status_code == 405
    assert wrong.json()["status"] == "405"


def test_too_long_names_are_400_on_create_and_replace(idp):
    """A 200-character givenName is a 400 naming the field, nothing changed."""
    long_name = {"givenName": "A" * 200, "familyName": "B"}
    assert idp.send("post", "Users", okta_user(name=long_name)).status_code == 400
    assert not User.objects.exists()
    user_id = idp.send("post", "Users", okta_user()).json()["id"]
    response = idp.send("put", f"Users/{user_id}", okta_user(name=long_name))
    assert response.status_code == 400
    assert "name.givenName" in response.json()["detail"]
    assert User.objects.get(pk=user_id).first_name == "Ada"
    assert not scim_events(event_type="UserMetadataChanged").exists()


def test_okta_put_group_replaces_its_members_here(idp, org, plain_member, member):
    """Okta's PUT of a whole group (id, displayName, members) sets who has the role."""
    admin = Role.objects.get(name="Admin")
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": str(admin.pk),
        "displayName": "Admin",
        "members": [{"value": str(plain_member.pk), "display": plain_member.email}],
    }
    response = idp.send("put", f"Groups/{admin.pk}", body)
    assert response.status_code == 200, response.content
    assert Membership.objects.get(org=org, user=plain_member).role == admin
    assert Membership.objects.get(org=org, user=member).role.name == "Owner"
    renamed = idp.send("put", f"Groups/{admin.pk}", {**body, "displayName": "Boss"})
    assert renamed.status_code == 403


def test_filters_on_ids_presence_and_logic(idp, member, plain_member):
    """id, pr, and/or/not and odd ids filter as RFC 7644 says, never a 500."""

    def names(**params):
        response = idp.get("Users", **params)
        assert response.status_code == 200, response.content
        return {u["userName"] for u in response.json()["Resources"]}

    assert names(filter=f'id eq "{member.pk}"') == {member.email}
    assert names(filter='id eq "not-a-uuid"') == set()
    assert names(filter="id pr and active pr") == {member.email, plain_member.email}
    assert names(
        filter=f'userName sw "owner" or userName eq "{plain_member.email}"'
    ) == {member.email, plain_member.email}
    assert names(filter='not (userName co "intern")') == {member.email}
    assert names(filter='emails[value eq "OWNER@acme.example"]') == {member.email}
    groups = idp.get("Groups", filter='id eq "abc"')
    assert groups.status_code == 200
    assert groups.json()["totalResults"] == 0
    unsupported = idp.get("Users", filter='title eq "x"')
    assert unsupported.status_code == 400
    assert unsupported.json()["scimType"] == "invalidFilter"


def test_entra_patches_of_attributes_not_kept_are_skipped(idp):
    """Entra's adds into empty phoneNumbers/addresses and a bare manager id pass."""
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    user_id = idp.send("post", "Users", okta_user()).json()["id"]
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {
                "op": "Add",
                "path": 'phoneNumbers[type eq "mobile"].value',
                "value": "+33 1 23",
            },
            {
                "op": "Add",
                "path": 'addresses[type eq "work"].streetAddress',
                "value": "1 Main St",
            },
            {"op": "Add", "path": f"{enterprise}:manager", "value": "mgr-7"},
            {"op": "Replace", "path": "name.familyName", "value": "Byron"},
        ],
    }
    response = idp.send("patch", f"Users/{user_id}", patch)
    assert response.status_code == 200, response.content
    assert response.json()["name"]["familyName"] == "Byron"
    refused = idp.send(
        "patch",
        f"Users/{user_id}",
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "Replace", "path": 'emails[type eq "home"].value', "value": "x"},
                {"op": "Replace", "path": "nosuch", "value": "x"},
            ],
        },
    )
    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidPath"
    assert User.objects.get(pk=user_id).last_name == "Byron"
