"""The data of incentives, one module a topic: payouts (accounts, installments, batches,
requests, callbacks, reconciliation), surveys, and the fake gateway's records. Every model is
importable from here; every write lives in ``incentives.services``."""

from incentives.models.gateway import FakeGatewayTransfer
from incentives.models.payouts import (
    ACCOUNT_REASONS,
    DisbursementBatch,
    DisbursementBatchEvent,
    Installment,
    PayoutAccount,
    PayoutAccountChange,
    PayoutCallback,
    PayoutRequest,
    Reason,
    ReconciliationReport,
)
from incentives.models.surveys import Survey, SurveyQuestion, SurveyResponse

__all__ = [
    "ACCOUNT_REASONS",
    "DisbursementBatch",
    "DisbursementBatchEvent",
    "FakeGatewayTransfer",
    "Installment",
    "PayoutAccount",
    "PayoutAccountChange",
    "PayoutCallback",
    "PayoutRequest",
    "Reason",
    "ReconciliationReport",
    "Survey",
    "SurveyQuestion",
    "SurveyResponse",
]
