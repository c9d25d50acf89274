from tests.support.payments.fixtures import (  # noqa: F401 - fixtures for the tests here
    paypal_account,
    paypal_imitation,
    stripe_account,
    stripe_imitation,
)
