import pytest
import responses as responses_module

from courses.lms import safety
from tests.courses import canvas


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch):
    """Hosts resolve from a table: the recorded Canvas host to a public address, a few
    test names to private ones; anything else fails as an unknown host would."""
    table = {
        canvas.HOST: [canvas.PUBLIC_ADDRESS],
        "intranet.example.edu": ["10.0.0.7"],
        "rebind.example.edu": [canvas.PUBLIC_ADDRESS, "127.0.0.1"],
        "metadata.example.edu": ["169.254.169.254"],
        "v6.example.edu": ["2606:4700::6810:84e5"],
        "v6-local.example.edu": ["fd00::1"],
    }

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    monkeypatch.setattr(safety, "resolve_host", resolve)


@pytest.fixture
def canvas_api():
    """A `responses` mock that fails the test on any request it was not told about."""
    with responses_module.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
