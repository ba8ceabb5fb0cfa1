"""Writes of the trainings app: partner credentials, purchases and vouchers.

Import the functions from here; the modules are split only by size.
"""

from trainings.services.credentials import (
    authenticate_request,
    ensure_demo_key,
    issue_partner_key,
    revoke_partner_key,
)
from trainings.services.purchases import (
    cancel_payment,
    check_card,
    confirm_payment,
    start_payment,
)
from trainings.services.vouchers import (
    record_completion,
    record_pretest,
    redeem_voucher,
    submit_review,
)

__all__ = [
    "authenticate_request",
    "cancel_payment",
    "check_card",
    "confirm_payment",
    "ensure_demo_key",
    "issue_partner_key",
    "record_completion",
    "record_pretest",
    "redeem_voucher",
    "revoke_partner_key",
    "start_payment",
    "submit_review",
]
