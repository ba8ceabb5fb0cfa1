"""Kartu Prakerja numbers: 16 digits, unguessable (``secrets``), with a Luhn check digit so a
mistyped number is caught before any database lookup."""

import secrets

# Issuer prefix for the program's cards; the remaining 11 digits are random, the last a check.
CARD_PREFIX = "5890"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return len(number) == 16 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def new_card_number() -> str:
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + luhn_check_digit(body)
