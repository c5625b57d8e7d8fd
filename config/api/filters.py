"""The project's `?search=`: DRF's SearchFilter, bounded. Every word is a case-insensitive
LIKE over every search field, so an unbounded search is an unbounded query (SQLite gives up
on it; PostgreSQL scans for it): more than MAX_LENGTH characters or MAX_TERMS words is a
400 naming `search`."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


class SearchFilter(filters.SearchFilter):
    max_length = 200
    max_terms = 10

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        if self.get_search_fields(view, request):
            value = request.query_params.get(self.search_param, "")
            if len(value) > self.max_length:
                raise ValidationError(
                    {self.search_param: [f"At most {self.max_length} characters."]}
                )
            if len(self.get_search_terms(request)) > self.max_terms:
                raise ValidationError({self.search_param: [f"At most {self.max_terms} words."]})
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = self.max_length
        return parameters
