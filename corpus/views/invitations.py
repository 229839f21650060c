"""Invitations by email: owners invite, send again and revoke on the Members page;
the invited person opens the link and joins, signing up first if need be.

The emailed link, /invite/<token>/, only puts the token's hash in the session
and redirects to /invite/, which shows the invitation and takes the answer: the
page, its form, the browser's history and any error logged with a path never
carry the token. (The access logs of gunicorn and the proxy do record that one
GET: docs/deploy.md, "Email".)
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.http import HttpResponseClientRedirect

from corpus import services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.forms import AccountForm, InviteForm
from corpus.members import members_response
from corpus.models import Invitation, Membership
from corpus.roles import Action
from corpus.services.invitations import token_hash

# The session key holding the hash of the invitation link last opened.
SESSION_KEY = "invitation_token_hash"
# Signing in a new account without authenticate(): say which backend vouches
# (the one of passwords; a name in settings, not an import of config).
MODEL_BACKEND = "config.sessions.AccountBackend"


def _after_sending(
    request: HtmxHttpRequest, membership: Membership, invitation: Invitation, token
) -> HttpResponse:
    link = request.build_absolute_uri(reverse("corpus:invitation_open", args=[token]))
    if settings.APPARATUS_SENDS_EMAIL and services.send_invitation(
        invitation=invitation, link=link
    ):
        messages.success(
            request,
            f"Invitation sent to {invitation.email}, to join as "
            f"{invitation.get_role_display()}.",
        )
        if request.htmx:
            return members_response(request, membership)
        return redirect("corpus:project_members", slug=membership.project.slug)
    # The link exists in clear only in this answer (not in a message, which
    # would keep it in a cookie or the session): the owner passes it on.
    return members_response(
        request,
        membership,
        new_link=link,
        new_invitation=invitation,
        mail_failed=settings.APPARATUS_SENDS_EMAIL,
    )


@require_POST
@login_required
def member_invite(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Invite an email address with a role. The link goes by email; when the
    site sends no email, or the mail server refused it, it is shown here once."""
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation, token = services.create_invitation(
                project=membership.project,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            form.add_error("email", error)
    if form.errors:
        return members_response(request, membership, invite_form=form, status=400)
    return _after_sending(request, membership, invitation, token)


@require_POST
@login_required
def invitation_resend(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send an open invitation again with a new link; the old one stops working."""
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    invitation = get_object_or_404(membership.project.invitations, pk=pk)
    try:
        invitation, token = services.resend_invitation(
            invitation=invitation, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _after_change(request, membership, status=400)
    return _after_sending(request, membership, invitation, token)


@require_POST
@login_required
def invitation_revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    invitation = get_object_or_404(membership.project.invitations, pk=pk)
    try:
        services.revoke_invitation(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _after_change(request, membership, status=400)
    messages.success(
        request, f"Invitation to {invitation.email} revoked: its link no longer works."
    )
    return _after_change(request, membership)


def _after_change(
    request: HtmxHttpRequest, membership: Membership, status=200
) -> HttpResponse:
    if request.htmx:
        return members_response(request, membership, status=status)
    return redirect("corpus:project_members", slug=membership.project.slug)


@require_safe
def invitation_open(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The emailed link: keep the token's hash in the session, go to /invite/.

    Always this redirect, whatever the token, so that nothing answers the
    token's path with an error (which Django would log with the path). Opening
    the link changes nothing else: mail scanners open links too.
    """
    request.session[SESSION_KEY] = token_hash(token)
    return redirect("corpus:invitation_accept")


def _invitation_in_session(request: HtmxHttpRequest) -> Invitation | None:
    hashed = request.session.get(SESSION_KEY)
    if not isinstance(hashed, str):
        return None
    return (
        Invitation.objects.select_related("project", "invited_by")
        .filter(token_hash=hashed)
        .first()
    )


def _refusal(
    request: HtmxHttpRequest, invitation: Invitation | None
) -> HttpResponse | None:
    """The answer for a link that cannot be used (None if it can): 404 for one
    unknown (or whose project is in the trash), 410 for one used, revoked or
    expired, 403 while the project is archived."""
    if invitation is None or invitation.project.in_trash:
        return _closed(request, None, "unknown", status=404)
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        if request.user.is_authenticated and invitation.accepted_by_id == (
            request.user.pk
        ):
            messages.info(request, "You have accepted this invitation already.")
            return redirect(invitation.project)
        return _closed(request, invitation, "accepted", status=410)
    if status != Invitation.Status.PENDING:
        return _closed(request, invitation, status, status=410)
    if not services.sender_may_invite(invitation):
        # Its sender is no longer an owner: withdrawn with their role.
        return _closed(request, invitation, Invitation.Status.REVOKED, status=410)
    if invitation.project.is_archived:
        return _closed(request, invitation, "archived", status=403)
    return None


def _closed(request, invitation, why: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "corpus/invitation_closed.html",
        {"invitation": invitation, "why": why},
        status=status,
    )


def _invitation_page(
    request: HtmxHttpRequest,
    invitation: Invitation,
    form: AccountForm,
    *,
    joined: Membership | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "corpus/invitation.html",
        {
            "invitation": invitation,
            "form": form,
            "joined": joined,
            "other_address": user.is_authenticated
            and user.email.strip().lower() != invitation.email,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HtmxHttpRequest) -> HttpResponse:
    """The invitation: a signed-in person joins with one click (whatever their
    address: the link is the proof); anyone else makes an account here, or
    signs in first. No login needed."""
    invitation = _invitation_in_session(request)
    if (refusal := _refusal(request, invitation)) is not None:
        return refusal
    joined = None
    if request.user.is_authenticated:
        joined = invitation.project.memberships.filter(user=request.user).first()
    if request.method != "POST" or joined is not None:
        return _invitation_page(request, invitation, AccountForm(), joined=joined)
    if request.user.is_authenticated:
        return _accept(request, invitation, None)
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _invitation_page(request, invitation, form, status=400)
    return _accept(request, invitation, form)


# The service's error keys, as the form's fields.
_ACCOUNT_FIELDS = {"username": "username", "password": "password1"}


def _accept(
    request: HtmxHttpRequest, invitation: Invitation, form: AccountForm | None
) -> HttpResponse:
    try:
        if form is None:
            membership = services.accept_invitation(
                invitation=invitation, user=request.user
            )
        else:
            membership = services.accept_invitation(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
    except ValidationError as error:
        invitation.refresh_from_db()
        if (refusal := _refusal(request, invitation)) is not None:
            return refusal  # used, revoked or archived meanwhile
        if form is None:
            # Made a member by someone else meanwhile, most likely.
            messages.error(request, " ".join(error.messages))
            joined = invitation.project.memberships.filter(user=request.user).first()
            return _invitation_page(
                request, invitation, AccountForm(), joined=joined, status=400
            )
        for key, errors in getattr(error, "error_dict", {None: error}).items():
            form.add_error(_ACCOUNT_FIELDS.get(key), errors)
        return _invitation_page(request, invitation, form, status=400)
    if form is not None:
        login(request, membership.user, backend=MODEL_BACKEND)
    request.session.pop(SESSION_KEY, None)
    project = membership.project
    messages.success(
        request,
        f"Welcome to {project.name}: you are a member, as "
        f"{membership.get_role_display()}.",
    )
    if request.htmx:
        return HttpResponseClientRedirect(project.get_absolute_url())
    return redirect(project)
