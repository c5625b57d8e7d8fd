import ipaddress

import pytest

from courses.lms.safety import UnsafeLink, check_link, is_public_address


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://canvas.example.edu", "https://canvas.example.edu"),
        ("https://CANVAS.example.edu/", "https://canvas.example.edu"),
        ("  https://canvas.example.edu/canvas/  ", "https://canvas.example.edu/canvas"),
        ("https://canvas.example.edu:8443", "https://canvas.example.edu:8443"),
        ("https://canvas.example.edu:443", "https://canvas.example.edu"),
        ("https://93.184.216.34", "https://93.184.216.34"),
        ("https://[2606:4700::6810:84e5]", "https://[2606:4700::6810:84e5]"),
        ("https://v6.example.edu", "https://v6.example.edu"),
    ],
)
def test_check_link_accepts_https_on_public_hosts(link, expected):
    assert check_link(link) == expected


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("http://canvas.example.edu", "Only https"),
        ("ftp://canvas.example.edu", "Only https"),
        ("canvas.example.edu", "Only https"),
        ("", "Only https"),
        ("https://", "no host"),
        ("https://user:secret@canvas.example.edu", "user name or password"),
        ("https://canvas.example.edu/?redirect=x", "query or a fragment"),
        ("https://canvas.example.edu:99999", "Not a valid URL"),
        ("https://127.0.0.1", "private, loopback"),
        ("https://10.1.2.3", "private, loopback"),
        ("https://172.16.0.1", "private, loopback"),
        ("https://192.168.1.10", "private, loopback"),
        ("https://169.254.169.254", "private, loopback"),
        ("https://100.64.0.1", "private, loopback"),
        ("https://0.0.0.0", "private, loopback"),
        ("https://240.0.0.1", "private, loopback"),
        ("https://224.0.0.1", "private, loopback"),
        ("https://[::1]", "private, loopback"),
        ("https://[fe80::1]", "private, loopback"),
        ("https://[fd00::1]", "private, loopback"),
        ("https://[::ffff:127.0.0.1]", "private, loopback"),
        ("https://[2002:7f00:1::]", "private, loopback"),
        ("https://intranet.example.edu", "private, loopback"),
        ("https://metadata.example.edu", "private, loopback"),
        ("https://v6-local.example.edu", "private, loopback"),
        ("https://rebind.example.edu", "127.0.0.1"),
        ("https://unknown.example.edu", "could not be resolved"),
    ],
)
def test_check_link_refuses_everything_else(link, reason):
    with pytest.raises(UnsafeLink) as caught:
        check_link(link)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("ff02::1", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public
