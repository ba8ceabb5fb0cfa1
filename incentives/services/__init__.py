"""Writes and state transitions for incentives, by topic.

Money rules kept here (docs/program.md section 3):

* an installment is never paid twice: every payout request is stored (and committed) with a
  deterministic idempotency key before the backend is called; an unknown outcome is resolved by
  asking the backend about that same key before any new key is used; the database refuses a
  second paid request per installment;
* status changes are conditional UPDATEs on the current status, so concurrent workers, late
  callbacks and duplicated callbacks cannot undo or repeat one another;
* batch work is set-based.

Callers import from here; the modules are the topics.
"""

from incentives.services.accounts import (  # noqa: F401
    confirm_payout_account_change,
    ensure_account_may_change,
    request_payout_account_change,
    requeue_fixed_accounts,
)
from incentives.services.batches import (  # noqa: F401
    approve_batch,
    create_batch,
    reject_batch,
    submit_batch,
)
from incentives.services.callbacks import (  # noqa: F401
    handle_callback,
)
from incentives.services.daily_run import (  # noqa: F401
    run_disbursement,
)
from incentives.services.errors import (  # noqa: F401
    AccountCheckFailed,
    CheckerIsMaker,
    EwalletNotOwnPhone,
    InvalidAccountNumber,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    OtpRateLimited,
    SurveyAlreadyCompleted,
    SurveyNotOpen,
    WrongPassword,
)
from incentives.services.finishing import (  # noqa: F401
    finish_participants,
)
from incentives.services.outcomes import (  # noqa: F401
    DisbursementSummary,
    apply_outcomes,
)
from incentives.services.reconciliation import (  # noqa: F401
    reconcile,
)
from incentives.services.recovery import (  # noqa: F401
    recover_stale_claims,
    resolve_unknown,
)
from incentives.services.schedule import (  # noqa: F401
    plan_installments,
)
from incentives.services.sending import (  # noqa: F401
    CLAIM_FIELDS,
    Claim,
    _claim,
    send_approved_batch,
    send_batch,
)
from incentives.services.staff_actions import (  # noqa: F401
    mark_resolved,
    retry_failed,
)
from incentives.services.surveys import (  # noqa: F401
    DEFAULT_SURVEYS,
    SurveySlot,
    complete_survey,
    ensure_default_surveys,
    survey_slots,
)
