"""Local stand-ins for the outside systems, and the rule that production never runs on one.

Each outside system (payout gateway, SMS provider, civil registry) sits behind one module whose
backend a setting names. ``STAND_INS`` lists, per setting, the values that are local stand-ins:
nothing leaves the machine, so money is "paid" to nobody and an OTP lands in a log. With DEBUG
off the settings refuse to load while one is in use (the web process, the worker, beat and every
command alike), unless ``ALLOW_FAKE_GATEWAYS`` is on, the switch for a staging host (README,
Configuration); even then ``check --deploy`` names them.

A new outside system adds one row.
"""

from collections.abc import Mapping

from django.core import checks

STAND_INS: dict[str, tuple[str, ...]] = {
    "PAYOUT_BACKEND": ("fake",),
    "SMS_BACKEND": ("console", "locmem", "file"),
    "REGISTRY_BACKEND": ("fake",),
}
SWITCH = "ALLOW_FAKE_GATEWAYS"


def in_use(values: Mapping[str, object]) -> list[str]:
    """``SETTING=value`` for every stand-in ``values`` (a settings namespace) names."""
    return [
        f"{name}={values.get(name)}"
        for name, fakes in STAND_INS.items()
        if values.get(name) in fakes
    ]


def refusal(stand_ins: list[str]) -> str:
    return (
        f"With DEBUG off the portal does not run on local stand-ins: {', '.join(stand_ins)}. "
        f"Configure the real gateways, or set {SWITCH}=1 on a staging host."
    )


@checks.register(checks.Tags.security, deploy=True)
def check_stand_ins(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``check --deploy``: a warning per stand-in the staging switch lets run."""
    from django.conf import settings

    stand_ins = in_use({name: getattr(settings, name, None) for name in STAND_INS})
    return [
        checks.Warning(
            f"{stand_in} is a local stand-in ({SWITCH} is on): nothing reaches the real system.",
            hint=f"Configure the real gateway before production; {SWITCH} is for staging.",
            id="prakerja.W001",
        )
        for stand_in in stand_ins
    ]
