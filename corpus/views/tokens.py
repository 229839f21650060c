"""The account's personal API tokens: made, listed, revoked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from corpus.conflicts import add_errors
from corpus.forms import TokenForm
from corpus.models import ApiToken
from corpus.services import tokens as token_services


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's tokens, and a form to make one, whose text is shown once."""
    form = TokenForm(request.POST or None, user=request.user)
    made = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, made = token_services.create_token(
                    user=request.user, name=form.cleaned_data["name"]
                )
                form = TokenForm(user=request.user)
            except ValidationError as error:
                add_errors(form, error)
        if form.errors:
            status = 400
    response = render(
        request,
        "corpus/api_tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
        status=status,
    )
    # The token's text is in this page only: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_services.revoke_token(token=token)
    messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("corpus:api_tokens")
