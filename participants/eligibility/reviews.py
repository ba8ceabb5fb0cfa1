"""Staff decisions on a participant flagged after selection (``EligibilityReview``), with four
eyes: one staff member proposes a decision with a reason, another approves it, and only then is
it carried out through the participants services:

- ``freeze``: the card is frozen (``services.freeze_card``) while staff check with the agency;
  the review stays open for its final decision.
- ``revoke``: revoked for ineligibility: NIK blacklisted, balance forfeited, the place back in
  the recovered pool (``services.add_to_blacklist``, which revokes a card holder; someone who
  already finished is blacklisted).
- ``clear``: the person is eligible after all; a card frozen by this review is given back
  (``services.lift_freeze``) and this list version never flags them again.

The approver's check is here and in the database (``review_checker_is_not_maker``). Each step
writes an ``EligibilityReviewEvent``; the decision itself writes the person's audit rows.
While a review is open the person's incentive payouts wait (``selectors.payouts_on_hold``).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import services
from participants.eligibility import sources
from participants.models import (
    BlacklistEntry,
    DomainError,
    EligibilityReview,
    EligibilityReviewEvent,
    Participant,
    ParticipantEvent,
)
from participants.services.status import record_event

D = EligibilityReview.Decision
RS = EligibilityReview.Status
E = EligibilityReviewEvent.Action
REASON_CLEARED = "list_flag_cleared"

# Permissions (README, "Staff permissions"): one officer proposes, another approves.
REVIEW_PROPOSER_PERMISSIONS = [
    "participants.view_eligibilityreview",
    "participants.propose_eligibilityreview",
]
REVIEW_APPROVER_PERMISSIONS = [
    "participants.view_eligibilityreview",
    "participants.approve_eligibilityreview",
]


class ReviewRefused(DomainError):
    code = "review_refused"


class CheckerIsMaker(ReviewRefused):
    code = "checker_is_maker"
    message = _("Usulan harus disetujui oleh petugas lain, bukan pengusulnya.")


def allowed_decisions(review: EligibilityReview) -> list[str]:
    """What may be proposed now: freezing only a card that can be frozen and is not yet."""
    if review.status not in EligibilityReview.OPEN_STATUSES:
        return []
    decisions = [D.REVOKE, D.CLEAR]
    can_freeze = review.participant.status in (
        Participant.Status.SELECTED,
        Participant.Status.ACTIVE,
    )
    if review.status == RS.OPEN and can_freeze:
        decisions.insert(0, D.FREEZE)
    return decisions


def _audit(review, action: str, *, decision: str = "", note: str = "", actor, now) -> None:
    EligibilityReviewEvent.objects.create(
        review=review, action=action, decision=decision, note=note, actor=actor, created_at=now
    )


def propose(
    *, review: EligibilityReview, decision: str, reason: str, actor, now: dt.datetime | None = None
) -> EligibilityReview:
    """Record ``actor``'s proposal (``freeze``, ``revoke`` or ``clear``, with a reason) on an
    open review. Raises :class:`ReviewRefused`: ``reason_required``, ``review_closed``,
    ``decision_not_allowed``, ``proposal_pending`` (another proposal waits for its approval)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("Alasan wajib diisi."), code="reason_required")
    with transaction.atomic():
        current = (
            EligibilityReview.objects.select_for_update(of=("self",))
            .select_related("participant")
            .get(pk=review.pk)
        )
        if current.status not in EligibilityReview.OPEN_STATUSES:
            raise ReviewRefused(_("Tinjauan ini sudah diputuskan."), code="review_closed")
        if current.proposed_decision:
            raise ReviewRefused(
                _("Sudah ada usulan yang menunggu persetujuan."), code="proposal_pending"
            )
        if decision not in allowed_decisions(current):
            raise ReviewRefused(
                _("Keputusan ini tidak dapat diusulkan untuk peserta ini."),
                code="decision_not_allowed",
            )
        EligibilityReview.objects.filter(pk=current.pk).update(
            proposed_decision=decision,
            proposed_reason=reason,
            proposed_by=actor,
            proposed_at=now,
        )
        _audit(current, E.PROPOSED, decision=decision, note=reason, actor=actor, now=now)
    review.refresh_from_db()
    return review


def reject(
    *, review: EligibilityReview, reason: str, actor, now: dt.datetime | None = None
) -> EligibilityReview:
    """A second staff member turns the pending proposal down (with a reason); the review stays
    open for another proposal. Raises :class:`ReviewRefused` (``reason_required``,
    ``no_proposal``) or :class:`CheckerIsMaker`."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused(_("Alasan wajib diisi."), code="reason_required")
    with transaction.atomic():
        current = EligibilityReview.objects.select_for_update().get(pk=review.pk)
        if not current.proposed_decision:
            raise ReviewRefused(_("Tidak ada usulan yang menunggu."), code="no_proposal")
        if current.proposed_by_id == getattr(actor, "pk", None):
            raise CheckerIsMaker()
        _audit(current, E.REJECTED, decision=current.proposed_decision, note=reason, actor=actor,
               now=now)  # fmt: skip
        EligibilityReview.objects.filter(pk=current.pk).update(
            proposed_decision="", proposed_reason="", proposed_by=None, proposed_at=None
        )
    review.refresh_from_db()
    return review


def approve(
    *, review: EligibilityReview, actor, now: dt.datetime | None = None
) -> EligibilityReview:
    """A second staff member approves the pending proposal, which is carried out in the same
    transaction (freeze, revoke for ineligibility, or clear). Raises :class:`CheckerIsMaker`,
    :class:`ReviewRefused` (``no_proposal``), or the participants services' errors (for example
    :class:`~participants.models.InvalidTransition` when the person's status changed since)."""
    now = now or timezone.now()
    with transaction.atomic():
        current = (
            EligibilityReview.objects.select_for_update(of=("self",))
            .select_related("participant", "proposed_by", "agency_list")
            .get(pk=review.pk)
        )
        if not current.proposed_decision:
            raise ReviewRefused(_("Tidak ada usulan yang menunggu."), code="no_proposal")
        if current.proposed_by_id == getattr(actor, "pk", None):
            raise CheckerIsMaker()
        decision, reason, maker = (
            current.proposed_decision,
            current.proposed_reason,
            current.proposed_by,
        )
        note = f"{reason} (diusulkan {maker.email}, disetujui {actor.email})"
        status = _carry_out(current, decision=decision, note=note, actor=actor, now=now)
        final = status in (RS.REVOKED, RS.CLEARED)
        EligibilityReview.objects.filter(pk=current.pk).update(
            status=status,
            decision=decision,
            decision_reason=reason,
            decided_by=maker,
            approved_by=actor,
            decided_at=now if final else None,
            proposed_decision="",
            proposed_reason="",
            proposed_by=None,
            proposed_at=None,
        )
        _audit(current, E.APPROVED, decision=decision, note=reason, actor=actor, now=now)
    review.refresh_from_db()
    return review


def _told(review: EligibilityReview, text) -> str:
    """What the person is told (dashboard, SMS, email): the list and its agency, never the
    staff's note."""
    rule = sources.rule(review.source)
    return str(text) % {"list": sources.Source(review.source).label, "agency": rule.agency}


TOLD_FROZEN = _(
    "Anda tercantum di daftar %(list)s dari %(agency)s. Kartu dibekukan sementara selama petugas "
    "memeriksanya ke instansi tersebut; saldo Anda tidak hilang. Jika data itu keliru, ajukan "
    "keberatan lewat pengaduan."
)
TOLD_CLEARED = _(
    "Pemeriksaan daftar %(list)s selesai: Anda memenuhi syarat program. Kartu Anda dapat dipakai "
    "kembali."
)
TOLD_REVOKED = _(
    "Anda tercantum di daftar %(list)s dari %(agency)s, sehingga tidak memenuhi syarat program. "
    "Jika data itu keliru, ajukan keberatan lewat pengaduan."
)


def _carry_out(review: EligibilityReview, *, decision: str, note: str, actor, now) -> str:
    participant = review.participant
    if decision == D.FREEZE:
        services.freeze_card(
            participant=participant,
            reason=note,
            participant_reason=_told(review, TOLD_FROZEN),
            actor=actor,
            now=now,
        )
        return RS.FROZEN
    if decision == D.REVOKE:
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if services.blacklisting_revokes(participant=current):
            # A card holder: revoked, blacklisted (unless already), balance forfeited.
            services.revoke_participation(
                participant=current,
                reason_code=BlacklistEntry.Reason.INELIGIBLE,
                actor=actor,
                note=note,
                participant_reason=_told(review, TOLD_REVOKED),
                now=now,
            )
        elif not services.is_blacklisted(nik_hash=current.nik_hash):
            services.add_to_blacklist(
                participant=current,
                reason_code=BlacklistEntry.Reason.INELIGIBLE,
                note=note,
                actor=actor,
                now=now,
            )
        return RS.REVOKED
    # Clear: a card this review froze is given back (with the frozen days), and the decision is
    # in the person's history.
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    if review.status == RS.FROZEN and current.status == Participant.Status.FROZEN:
        services.lift_freeze(
            participant=current,
            reason=note,
            participant_reason=_told(review, TOLD_CLEARED),
            actor=actor,
            now=now,
        )
    record_event(
        participant=current,
        kind=ParticipantEvent.Kind.ELIGIBILITY,
        reason_code=REASON_CLEARED,
        note=f"{review.source} v{review.agency_list.version}: {note}",
        actor=actor,
        now=now,
    )
    return RS.CLEARED
