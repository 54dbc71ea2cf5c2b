"""The OpenAPI document says what the API really returns on errors.

FastAPI declares its own 422 shape (a list of pydantic errors); this service
answers every error as `{"detail": "...", "errors": [...]}` (see api/errors.py),
so the schema is rewritten to declare that shape for 422 and every other error
status, and 401/403 are declared on the operations that take a key.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.deps import reader
from api.errors import ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
AUTH_ERRORS = {
    "401": "No API key, or a key that is not valid",
    "403": "The key's role does not allow this operation",
}


def use_error_schema(app: FastAPI, routers=(), prefix: str = "") -> None:
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, sub in ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop(
            "$defs", {}
        ).items():
            schemas[name] = sub
        schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas["ErrorBody"].pop("$defs", None)
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        open_reads = set() if app.state.require_read_key else _operations_using(routers, prefix, reader)
        for url, path in schema.get("paths", {}).items():
            for method, op in path.items():
                responses = op.setdefault("responses", {})
                if (url, method.upper()) in open_reads:
                    # "{}" = no key needed; a key that is sent must still be valid (hence 401).
                    op["security"] = [{}] + op.get("security", [])
                    responses.setdefault("401", {"description": AUTH_ERRORS["401"]})
                elif op.get("security"):
                    for code, text in AUTH_ERRORS.items():
                        responses.setdefault(code, {"description": text})
                responses.setdefault("422", {"description": "Validation error"})
                if "requestBody" in op:
                    responses.setdefault("400", {"description": "The body could not be parsed"})
                responses.setdefault("503", {"description": "The index or model is unavailable"})
                for code, response in responses.items():
                    if code[0] in "45":
                        response["content"] = {"application/json": {"schema": ERROR_REF}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def _operations_using(routers, prefix: str, dependency) -> set[tuple[str, str]]:
    def uses(dependant) -> bool:
        return any(d.call is dependency or uses(d) for d in dependant.dependencies)

    return {
        (prefix + route.path, method)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and uses(route.dependant)
        for method in route.methods
    }
