"""OpenAPI plumbing: the one error body as a component, referenced by every operation's
error responses."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status_code", "code", "message"],
    "properties": {
        "status_code": {"type": "integer"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "Field errors, for validation failures only.",
        },
    },
    "additionalProperties": True,
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input.",
    "401": "Not authenticated.",
    "403": "Permission denied.",
    "404": "Not found (or, for lists, a page past the last one).",
    "429": "Rate limit exceeded.",
}


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "status_code": serializers.IntegerField(),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
    },
)


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Document the error body on every operation: 400/401/403/404/429 wherever they apply,
    plus any error status an operation declared itself."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["400", "401", "403", "429"]
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "path" for p in parameters) or any(
                p.get("in") == "query" and p.get("name") == "page" for p in parameters
            ):
                wanted.append("404")  # an unknown object, or a page past the last one
            for status_code in wanted:
                responses.setdefault(
                    status_code,
                    {"description": ERROR_DESCRIPTIONS[status_code]},
                )
            for status_code, response in responses.items():
                if status_code.startswith(("4", "5")):
                    response["content"] = {"application/json": {"schema": ref}}
    _local_times_as_patterns(result)
    return result


TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


def _local_times_as_patterns(node: Any) -> None:
    """DRF writes wall-clock times ("09:30:00", in a stated time zone) while OpenAPI's
    `format: time` means RFC 3339's full-time with an offset; describe them as they are."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_PATTERN
        for value in node.values():
            _local_times_as_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _local_times_as_patterns(value)


class NoAuthenticationScheme(OpenApiAuthenticationExtension):
    """Public endpoints need no credentials: no security requirement in the schema."""

    target_class = "config.api.authentication.NoAuthentication"
    name: list[str] = []

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return []

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return []
