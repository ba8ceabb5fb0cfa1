"""Which personal data of a participant a staff member may see: one rule, by permission.

Every staff surface reads it: the admin's list columns, filters, search, ordering, date
hierarchy, change and correction pages and decision history (``participants.admin.base.
PersonalDataAdminMixin``), and the CSV exports (``reports``). ``docs/privacy.md`` has the table of
role x field.

A NIK is the district (6 digits), the birth date with the gender (6 digits) and a serial (4). Anyone
who knows a person's district, birth date and gender has the first twelve digits, so those fields
(and the regency and address, which name the district) are shown only to staff who may see the
full NIK. Keyed hashes and ciphertexts are shown to nobody and filter nothing for anybody: a list
filtered by ``nik_hash`` or ``kk_hash`` confirms a NIK or a family without showing it.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP

FULL_NIK_PERMISSION = "participants.view_full_nik"
# Searching the admin by a full 16-digit NIK confirms whether that NIK is registered: a permission
# of its own, throttled per staff account (settings.NIK_SEARCH_RATE).
NIK_SEARCH_PERMISSION = "participants.search_full_nik"

# Participant fields that give back the NIK's first twelve digits (or name the district).
NIK_DERIVABLE_FIELDS = ("birth_date", "gender", "regency", "district", "address")
# Stored secrets: never shown, never a filter, a sort or a search field, whoever asks.
SECRET_FIELDS = ("nik_hash", "nik_encrypted", "kk_hash", "kk_encrypted")

# Fields of other models that hold the same data, by model label: "derivable" ones follow
# FULL_NIK_PERMISSION, "secret" ones are hidden from everyone. A correction's old and new value
# may be a birth date or a district.
_OTHER_MODELS = {
    "participants.participantevent": {"old_value": "derivable", "new_value": "derivable"},
    "participants.blacklistentry": {"nik_hash": "secret"},
    "participants.listexception": {"nik_hash": "secret"},
}
_PARTICIPANT = "participants.participant"


def sees_full_identity(user) -> bool:
    """Whether ``user`` may see the full NIK and the fields it can be rebuilt from."""
    return bool(user and user.has_perm(FULL_NIK_PERMISSION))


def may_search_by_nik(user) -> bool:
    return bool(user and user.has_perm(NIK_SEARCH_PERMISSION))


def hidden_participant_fields(user) -> frozenset[str]:
    """Participant fields ``user`` may not see (nor filter, sort or search by)."""
    if sees_full_identity(user):
        return frozenset(SECRET_FIELDS)
    return frozenset(SECRET_FIELDS + NIK_DERIVABLE_FIELDS)


def hidden_fields(model, user) -> frozenset[str]:
    """Fields of ``model`` that ``user`` may not see, filter, sort or search by."""
    label = model._meta.label_lower
    if label == _PARTICIPANT:
        return hidden_participant_fields(user)
    kinds = _OTHER_MODELS.get(label, {})
    hide = {"secret"} if sees_full_identity(user) else {"secret", "derivable"}
    return frozenset(name for name, kind in kinds.items() if kind in hide)


def may_see(user, field: str, model=None) -> bool:
    """Whether ``user`` may see ``field`` of ``model`` (a participant field by default)."""
    if model is None:
        return field not in hidden_participant_fields(user)
    return field not in hidden_fields(model, user)


def path_reaches_hidden(model, path: str, user) -> bool:
    """Whether the ORM path ``path`` (a lookup, an ordering or a search field, from ``model``)
    reads a field ``user`` may not see, on ``model`` or across any relation.

    A relation is followed forwards and backwards: ``district__code__startswith`` on a
    participant, ``participant__birth_date__day`` on an installment, ``user__participant__gender``
    on a complaint, and ``participant`` on a district (the reverse of the participant's hidden
    ``district``: "the district of participant 5") all reach a hidden field. Parts after the last
    field are transforms and lookups (``__day``, ``__startswith``); ``pk`` and attribute names
    (``district_id``) resolve to their field."""
    path = path.lstrip("-?^=@")
    opts = model._meta
    for part in path.split(LOOKUP_SEP):
        name = opts.pk.name if part == "pk" else part
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return False  # a transform or a lookup: the path ended on a visible field
        if field.auto_created and not field.concrete:
            # A reverse relation: it reads the other model's foreign key to this one.
            forward = field.remote_field
            if forward.name in hidden_fields(forward.model, user):
                return True
        elif field.name in hidden_fields(opts.model, user):
            return True
        if not field.is_relation:
            return False
        opts = field.related_model._meta
    return False
