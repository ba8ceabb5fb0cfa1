"""Participant training pages. Views are thin: authorize, select, validate, call one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from participants import refusals
from participants.models import DomainError, Participant
from participants.selectors import last_day_to_buy, participant_for_user
from trainings import selectors, services
from trainings.forms import ReviewForm, TrainingSearchForm
from trainings.models import Voucher

# Who may still make a first purchase (a frozen card again once the freeze is lifted).
OWES_FIRST_PURCHASE = {
    Participant.Status.SELECTED,
    Participant.Status.ACTIVE,
    Participant.Status.FROZEN,
}

TRAININGS_PER_PAGE = 10


@require_GET
def recommendations(request: HttpRequest) -> HttpResponse:
    """ "Rekomendasi Pelatihan": search by keyword and category, each training with the platforms
    that sell it, their prices and a "Beli Pelatihan" link. Open to anyone."""
    form = TrainingSearchForm(request.GET or None, categories=selectors.training_categories())
    query = category = ""
    if form.is_bound:
        # An unknown category is dropped on its own; the keyword still applies.
        form.is_valid()
        query = form.cleaned_data.get("q", "")
        category = form.cleaned_data.get("category", "")
    page = Paginator(
        selectors.search_trainings(query=query, category=category), TRAININGS_PER_PAGE
    ).get_page(request.GET.get("page"))
    search_params = request.GET.copy()
    search_params.pop("page", None)
    participant = participant_for_user(user=request.user) if request.user.is_authenticated else None
    return render(
        request,
        "trainings/recommendations.html",
        {
            "form": form,
            "page": page,
            "search_params": search_params.urlencode(),
            "participant": participant,
            "refusal": _purchase_refusal(participant),
        },
    )


def _purchase_refusal(participant: Participant | None) -> refusals.Refusal | None:
    """Why this participant cannot buy now (the purchase rules' own message) and what to do
    next, or None when the card may buy, or for guests (the public catalog)."""
    if participant is None:
        return None
    if participant.status == Participant.Status.APPLICANT:
        # No card yet: they browse, and are told how the card comes, not offered "Beli".
        message = _("Anda belum memiliki Kartu Prakerja untuk membeli pelatihan.")
        return refusals.resolve("not_yet_selected", message=message, area="pembelian")
    if participant.status == Participant.Status.FINISHED:
        # The card rules call this "card_not_active" (the partner API's code); the person is
        # not told to watch the orientation videos again but that the program is over.
        message = _("Program Kartu Prakerja Anda sudah selesai.")
        return refusals.resolve("program_finished", message=message, area="pembelian")
    try:
        services.check_card(participant=participant, amount_idr=0, now=timezone.now())
    except DomainError as error:
        return refusals.of_error(error, area="pembelian")
    return None


def _my_trainings(
    request: HttpRequest,
    participant: Participant | None,
    *,
    bound_form: ReviewForm | None = None,
    bound_voucher_id: int | None = None,
) -> HttpResponse:
    vouchers = []
    if participant is not None:
        vouchers = list(selectors.vouchers_for_participant(participant=participant))
    for voucher in vouchers:
        voucher.review_form = None
        if voucher.status == Voucher.Status.COMPLETED and voucher.rating is None:
            voucher.review_form = (
                bound_form
                if bound_voucher_id == voucher.pk and bound_form is not None
                else ReviewForm(prefix_id=voucher.pk)
            )
    return render(
        request,
        "trainings/my_trainings.html",
        {"participant": participant, "vouchers": vouchers},
    )


@login_required
@require_GET
def my_trainings(request: HttpRequest) -> HttpResponse:
    """ "Pelatihan Saya": the participant's own purchases and the review form where it is due."""
    return _my_trainings(request, participant_for_user(user=request.user))


@login_required
@require_POST
def review(request: HttpRequest, voucher_id: int) -> HttpResponse:
    """The rating (1-5) and review of a completed training, once."""
    participant = participant_for_user(user=request.user)
    if participant is None:
        return redirect("trainings:my_trainings")
    voucher = selectors.voucher_for_participant(participant=participant, voucher_id=voucher_id)
    form = ReviewForm(request.POST, prefix_id=voucher.pk)
    if not form.is_valid():
        return _my_trainings(request, participant, bound_form=form, bound_voucher_id=voucher.pk)
    try:
        services.submit_review(
            voucher=voucher, rating=form.cleaned_data["rating"], review=form.cleaned_data["review"]
        )
    except DomainError as error:
        refusals.flash(request, refusals.of_error(error, area="pembelian"))
    else:
        messages.success(request, _("Terima kasih, ulasan Anda sudah tersimpan."))
    return redirect("trainings:my_trainings")


@login_required
@require_GET
def balance(request: HttpRequest) -> HttpResponse:
    """The training balance, its expiry, the first-purchase deadline and the ledger history."""
    participant = participant_for_user(user=request.user)
    history = selectors.balance_history(participant=participant) if participant else []
    # A purchase deadline only while the card may still make its first purchase: not after a
    # revocation or an expiry, and never later than the balance expiry.
    can_still_buy = participant is not None and participant.status in OWES_FIRST_PURCHASE
    context = {
        "participant": participant,
        "history": history,
        "last_day": last_day_to_buy(participant) if can_still_buy else None,
    }
    return render(request, "trainings/balance.html", context)
