"""Writes and state transitions for participants, by topic: status, ledger, blacklist,
revocation, grants (selection's card and balance), identity, fraud, profile.

Staff act on a person through ``fraud`` (freeze, lift, revoke for fraud) and ``profile``
(corrections of decisive fields), each with a reason and an audit row.

This package is the only writer of a person's status, balance, blacklist and decisive profile
fields. Every function is keyword-only, runs in one transaction and writes its audit row in that
transaction. Functions that move money never read-modify-write: they use a conditional UPDATE.
"""

from participants.services.blacklist import (  # noqa: F401
    add_to_blacklist,
    blacklisting_revokes,
    bulk_add_to_blacklist,
    is_blacklisted,
    remove_from_blacklist,
)
from participants.services.errors import (  # noqa: F401
    LEGAL_BASIS_NO_FIRST_PURCHASE,
    AlreadyBlacklisted,
    BalanceExpired,
    CardFrozen,
    CardNotActive,
    CardRevoked,
    DeadlinePassed,
    InsufficientBalance,
    ParticipantReasonRequired,
    ReasonRequired,
)
from participants.services.fraud import (  # noqa: F401
    freeze_card,
    lift_freeze,
    revoke_for_fraud,
)
from participants.services.grants import (  # noqa: F401
    bulk_select,
)
from participants.services.identity import (  # noqa: F401
    record_declarations,
    record_identity,
    record_verified_phone,
    set_identity_numbers,
)
from participants.services.ledger import (  # noqa: F401
    bulk_grant_balance,
    bulk_zero_balances,
    credit_reversal,
    debit_for_purchase,
    grant_balance,
    purchase_refusal,
    zero_balance,
)
from participants.services.profile import (  # noqa: F401
    CORRECTABLE_FIELDS,
    DECISIVE_FIELDS,
    DECLARATION_FIELDS,
    Correction,
    approve_correction,
    correct_profile,
    record_refused_correction,
    reject_correction,
)
from participants.services.revocation import (  # noqa: F401
    BulkRevocation,
    bulk_revoke,
    revoke_participation,
)
from participants.services.status import (  # noqa: F401
    allowed_from,
    record_event,
    transition_status,
    transition_statuses,
)
