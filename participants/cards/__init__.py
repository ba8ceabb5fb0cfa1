"""The card and its money over time, one module a part:

- ``numbers``: card numbers (16 digits, unguessable, with a Luhn check digit);
- ``orientation``: the introduction videos that make a selected person active and show the card;
- ``deadlines``: every deadline of the program (first purchase, balance expiry), in WIB;
- ``expiry``: the 15 December balance expiry.

The balance itself moves only through ``participants.services`` (grants, the ledger).
"""
