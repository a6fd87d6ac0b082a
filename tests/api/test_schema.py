"""The OpenAPI schema validates, and its docs are served from our own static files."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn: a view drf-spectacular cannot describe is an error, not a silent gap.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/videos/{id}/" in text and "/api/v1/videos/bulk-edit/" in text
    for path in (
        "/api/v1/reports/",
        "/api/v1/reports/{report_pk}/errors/",
        "/api/v1/reports/{id}/failed-rows.csv/",
        "/api/v1/reports/{id}/rerun/",
        "/api/v1/changesets/",
        "/api/v1/changesets/{id}/preview/",
        "/api/v1/changesets/{id}/approve/",
        "/api/v1/changesets/{id}/push/",
        "/api/v1/changesets/{id}/revert/",
        "/api/v1/changesets/{id}/resolve/",
        "/api/v1/changesets/{changeset_pk}/items/",
        "/api/v1/syncs/{id}/",
        "/api/v1/quota/",
        "/api/v1/templates/{id}/rerender/",
        "/api/v1/template-blocks/{id}/",
    ):
        assert f"{path}:" in text, path


def test_the_new_endpoints_document_their_bodies_errors_and_examples(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    upload = paths["/api/v1/reports/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert set(upload["responses"]) >= {"202", "400", "403", "413", "415"}
    assert "text/csv" in paths["/api/v1/reports/{id}/failed-rows.csv/"]["get"]["responses"]["200"]["content"]
    create = paths["/api/v1/changesets/"]["post"]
    assert {"Unlist three videos", "Too many videos"} <= {
        example["summary"]
        for content in (create["requestBody"]["content"], create["responses"]["400"]["content"])
        for example in content["application/json"].get("examples", {}).values()
    }
    assert (
        "examples"
        in paths["/api/v1/changesets/{id}/approve/"]["post"]["responses"]["403"]["content"][
            "application/json"
        ]
    )
    # The quota is one object, not a page of them.
    quota = paths["/api/v1/quota/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert quota == {"$ref": "#/components/schemas/Quota"}


def test_the_schema_is_served_to_anyone(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    patch = schema["paths"]["/api/v1/videos/{id}/"]["patch"]
    assert "examples" in patch["requestBody"]["content"]["application/json"]
    assert set(patch["responses"]) >= {"200", "400", "401", "403", "404", "413", "429"}


def test_swagger_ui_loads_its_files_from_our_static_files_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Nothing loaded from another host (the page's CSRF token is random text: no substring tests).
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


def test_swagger_ui_needs_no_inline_script_so_the_csp_lets_it_run(client):
    html = client.get("/api/docs/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_an_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_collecting_the_schemathesis_module_builds_no_schema(monkeypatch):
    """pytest imports every test module to collect it (`make test`, `--collect-only`, `-k`): the
    schemathesis module must not generate the schema then, only when its test runs (#20)."""
    import importlib.util
    from pathlib import Path

    from drf_spectacular.generators import SchemaGenerator

    def generate(*args, **kwargs):
        raise AssertionError("the OpenAPI schema was generated at import")

    monkeypatch.setattr(SchemaGenerator, "get_schema", generate)
    path = Path(__file__).with_name("test_schemathesis.py")
    spec = importlib.util.spec_from_file_location("test_schemathesis_collected_again", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
