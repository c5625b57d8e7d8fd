import pytest

from tests.credits.helpers import assert_ledger_balanced


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every passing database test of this app, the credit ledger must balance."""
    result = yield
    if item.get_closest_marker("django_db") is not None or "db" in getattr(
        item, "fixturenames", ()
    ):
        assert_ledger_balanced()
    return result
