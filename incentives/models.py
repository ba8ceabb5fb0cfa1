"""Payout accounts, installments and disbursement (issue 6)."""
