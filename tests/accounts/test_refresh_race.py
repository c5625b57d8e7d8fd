"""A refresh token is redeemed once, even when several requests present it at once."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import token_pair_for
from tests.accounts.factories import StudentFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_succeed_once():
    refresh = token_pair_for(StudentFactory())["refresh"]
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    lock = threading.Lock()

    def redeem():
        try:
            barrier.wait()
            response = APIClient().post("/api/v1/auth/refresh", {"refresh": refresh})
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]
