"""Participant pages. Views are thin: authorize, select, validate, call one service."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from participants import selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    participant = selectors.participant_for_user(user=request.user)
    return render(request, "participants/dashboard.html", {"participant": participant})
