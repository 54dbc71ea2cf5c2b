"""Property-based checks of the API against its own OpenAPI document (schemathesis).

Every operation is called with generated requests (a bounded number each) on the FakeKB,
with a write key, and every response must match what the schema declares: status codes,
content types, bodies (errors included), and never a 500.

Two checks are left out. `negative_data_rejection` counts pydantic's lax coercion (the
string "true" for a boolean, "5" for an integer) as accepting invalid data: query strings
need that coercion, and a coerced value is validated like any other. And
`positive_data_acceptance` expects every schema-valid request to succeed, but no schema
can say "a well-formed PDF" or "a non-empty file": such uploads get a documented 422.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from api_fakes import FakeKB

_kb = FakeKB()
_, WRITE_KEY = _kb.keys.create("write", "schemathesis")
app = create_app(_kb)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(headers={"X-API-Key": WRITE_KEY}, excluded_checks=[negative_data_rejection, positive_data_acceptance])
