import uuid

import factory

from credits import services
from credits.models import CreditAccount
from tests.accounts.factories import StudentFactory


class CreditAccountFactory(factory.django.DjangoModelFactory):
    """An account created the way the app creates it (with this month's tier allowance),
    plus `purchased` credits bought through the service, so the ledger balances."""

    class Meta:
        model = CreditAccount

    user = factory.SubFactory(StudentFactory)

    @classmethod
    def _create(cls, model_class, user, purchased=0, **kwargs):
        account = services.account_create(user=user)
        if purchased:
            services.add_credits(
                user=user, amount=purchased, idempotency_key=f"factory:{uuid.uuid4().hex}"
            )
            account.refresh_from_db()
        return account
