"""Every catalog, inventory and storefront operation is documented: summary, error responses, examples."""

from __future__ import annotations

PREFIXES = ("/api/v1/stores/{store_slug}/", "/api/v1/storefront/{store_slug}/")


def test_every_catalog_operation_has_summary_errors_and_examples(app):
    spec = app.openapi()
    schemas = spec["components"]["schemas"]

    def has_example(schema: dict, depth: int = 0) -> bool:
        if "example" in schema or "examples" in schema:
            return True
        if "$ref" in schema:
            return has_example(schemas[schema["$ref"].rsplit("/", 1)[-1]], depth)
        if schema.get("type") == "array" and "items" in schema:
            return has_example(schema["items"], depth)
        if depth == 0 and schema.get("properties"):
            return all(has_example(p, 1) or p.get("type") == "boolean" for p in schema["properties"].values())
        return False

    missing = []
    operations = [(m, p, op) for p, ops in spec["paths"].items() if p.startswith(PREFIXES) for m, op in ops.items()]
    assert len(operations) >= 27
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        if not op.get("summary"):
            missing.append((where, "summary"))
        if not {"404", "422"} <= set(op["responses"]):
            missing.append((where, "error responses"))
        for param in op.get("parameters", []):
            if not (has_example(param) or has_example(param["schema"])):
                missing.append((where, f"example for {param['name']}"))
        for media_type, content in op.get("requestBody", {}).get("content", {}).items():
            if not (has_example(content) or has_example(content["schema"])):
                missing.append((where, f"request example ({media_type})"))
        for status, response in op["responses"].items():
            if status.startswith("2"):
                for media_type, content in response.get("content", {}).items():
                    if not (has_example(content) or has_example(content.get("schema", {}))):
                        missing.append((where, f"{status} example ({media_type})"))
    assert not missing, missing
