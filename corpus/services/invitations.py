"""Invitations by email, and the accounts they (and `manage.py createuser`) make.

A link's token exists in clear only in the email (and once on the owner's page
when the site sends no email); the table keeps its SHA-256, and a link is found
by that hash, so neither a database reader nor a timing difference gets a usable
token out of the table.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import smtplib

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from corpus.models import INVITATION_LIFETIME, Invitation, Membership, Project
from corpus.roles import Role
from corpus.services.projects import add_member

logger = logging.getLogger(__name__)

# secrets.token_urlsafe(32): 256 random bits, 43 URL-safe characters.
TOKEN_BYTES = 32
TOKEN_PATTERN = "[A-Za-z0-9_-]{43}"  # noqa: S105 (a shape, not a secret)
# Invitations sent (or sent again) in an hour, from one project and by one
# person: enough to set up a group, too few to make the site a spam relay
# (anyone signed in may create a project).
INVITATIONS_PER_HOUR = 50


def token_hash(token: str) -> str:
    """What is stored and looked up for a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    """Addresses are matched and stored in lower case: mail systems do not tell
    Alice@ from alice@, and neither must "already invited" or "already a member"."""
    return email.strip().lower()


def _one_line(value) -> str:
    return " ".join(str(value).split())


def _check_rate(project: Project, invited_by: AbstractBaseUser | None) -> None:
    recent = Invitation.objects.filter(
        created_at__gt=timezone.now() - datetime.timedelta(hours=1)
    )
    _refuse_beyond_the_rate(recent.filter(project=project), "from one project")
    if invited_by is not None:
        _refuse_beyond_the_rate(recent.filter(invited_by=invited_by), "by one person")


def _refuse_beyond_the_rate(recent, whose: str) -> None:
    times = list(recent.order_by("created_at").values_list("created_at", flat=True))
    if len(times) < INVITATIONS_PER_HOUR:
        return
    # When the oldest of the last INVITATIONS_PER_HOUR leaves the hour.
    free = times[-INVITATIONS_PER_HOUR] + datetime.timedelta(hours=1)
    minutes = max(1, round((free - timezone.now()).total_seconds() / 60))
    raise ValidationError(
        f"At most {INVITATIONS_PER_HOUR} invitations an hour may be sent {whose}: "
        f"please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        code="rate",
    )


def _issue(
    *,
    project: Project,
    email: str,
    role: str,
    invited_by: AbstractBaseUser | None,
    replacing: Invitation | None = None,
) -> tuple[Invitation, str]:
    # One project's invitations one at a time: the hourly count and the one
    # open invitation per address hold under concurrent owners.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    if (
        replacing is not None
        and not Invitation.objects.open().filter(pk=replacing.pk).exists()
    ):
        raise ValidationError(
            "This invitation was accepted or withdrawn meanwhile.", code="closed"
        )
    member = (
        project.memberships.filter(user__email__iexact=email)
        .select_related("user")
        .first()
    )
    if member is not None:
        raise ValidationError(
            f"{email} is the address of {member.user.get_username()}, who is "
            f"already a member ({member.get_role_display()}).",
            code="already_member",
        )
    _check_rate(project, invited_by)
    now = timezone.now()
    project.invitations.open().filter(email=email).update(
        revoked_at=now, revoked_by=invited_by
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        project=project,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    invitation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ValidationError(
            f"{email} was invited by someone else just now.", code="conflict"
        ) from None
    return invitation, token


@transaction.atomic
def create_invitation(
    *, project: Project, email: str, role: str, invited_by: AbstractBaseUser | None
) -> tuple[Invitation, str]:
    """Invite `email` into `project` with `role`: the invitation, and its link's
    token (the only time it exists in clear).

    An open invitation to the same address is revoked (the new one replaces
    it). Refused: the address of a member, and more than INVITATIONS_PER_HOUR
    an hour from the project or by the inviter.
    """
    return _issue(
        project=project,
        email=normalize_email(email),
        role=role,
        invited_by=invited_by,
    )


@transaction.atomic
def resend_invitation(
    *, invitation: Invitation, by: AbstractBaseUser | None
) -> tuple[Invitation, str]:
    """Send an open invitation again, with a new link and a new week: a new row
    replaces it, and its old link stops working."""
    return _issue(
        project=invitation.project,
        email=invitation.email,
        role=invitation.role,
        invited_by=by,
        replacing=invitation,
    )


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by: AbstractBaseUser | None) -> None:
    """Withdraw an open invitation: its link stops working."""
    now = timezone.now()
    if (
        not Invitation.objects.open()
        .filter(pk=invitation.pk)
        .update(revoked_at=now, revoked_by=by)
    ):
        raise ValidationError(
            "This invitation was already accepted or withdrawn.", code="closed"
        )
    invitation.revoked_at, invitation.revoked_by = now, by


def send_invitation(*, invitation: Invitation, link: str) -> bool:
    """Email the invitation's link to its address; False if the mail server
    refused it or could not be reached (the owner is then shown the link)."""
    inviter = invitation.invited_by
    context = {
        "project": _one_line(invitation.project.name),
        "role": invitation.get_role_display(),
        "inviter": _one_line(
            inviter.get_full_name() or inviter.get_username() if inviter else ""
        ),
        "link": link,
        "expires_at": invitation.expires_at,
    }
    subject = _one_line(render_to_string("email/invitation_subject.txt", context))
    body = render_to_string("email/invitation.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except (smtplib.SMTPException, OSError):
        # Neither the link nor its token goes into the log.
        logger.warning(
            "Invitation %s: the email could not be sent.", invitation.pk, exc_info=True
        )
        return False
    return True


def _taken(username: str) -> ValidationError:
    return ValidationError(
        {
            "username": ValidationError(
                f"The username “{username}” is taken.", code="username_taken"
            )
        }
    )


@transaction.atomic
def create_account(
    *,
    username: str,
    email: str = "",
    password: str | None,
    staff: bool = False,
) -> AbstractBaseUser:
    """Create an active account. `password` must pass the site's password
    validators (with the account's name and address at hand); None makes an
    account without a usable password.

    Errors come as {"username" | "email" | "password": ...}. A username that
    differs from another only in case is taken (as Django's sign-up form says).
    """
    user_model = get_user_model()
    username = user_model.normalize_username(username)
    if user_model.objects.filter(username__iexact=username).exists():
        raise _taken(username)
    user = user_model(username=username, email=email, is_staff=staff)
    user.full_clean(exclude=["password"], validate_unique=False)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _taken(username) from None
    return user


def sender_may_invite(invitation: Invitation) -> bool:
    """Whether the person who sent the invitation is still an owner of its
    project. change_role and remove_member withdraw the open links of one who
    is not; this holds too for any link that escaped them."""
    if invitation.invited_by_id is None:
        return True
    return Membership.objects.filter(
        project_id=invitation.project_id,
        user_id=invitation.invited_by_id,
        role=Role.OWNER,
    ).exists()


def _gone() -> ValidationError:
    return ValidationError(
        "This invitation has already been used, was withdrawn, or has expired.",
        code="gone",
    )


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    user: AbstractBaseUser | None = None,
    username: str = "",
    password: str = "",
) -> Membership:
    """Make `user`, or a new account (`username`, `password`, the invited
    address), a member of the invitation's project with its role.

    The link is the proof: a signed-in user whose address differs from the
    invitation's may accept it too. It is used once: of two acceptances at
    once, the second finds it used (a conditional UPDATE, which waits for the
    first) and is undone, its new account with it.
    """
    project = Project.objects.get(pk=invitation.project_id)
    if project.in_trash:
        raise _gone()
    if project.is_archived:
        raise ValidationError(
            "The project is archived: it takes no new members until an owner "
            "takes it out of the archive.",
            code="archived",
        )
    if not sender_may_invite(invitation):
        raise _gone()
    if user is None:
        user = create_account(
            username=username, email=invitation.email, password=password
        )
    now = timezone.now()
    used = (
        Invitation.objects.open()
        .filter(pk=invitation.pk, expires_at__gt=now)
        .update(accepted_at=now, accepted_by=user)
    )
    if not used:
        raise _gone()
    membership = add_member(project=project, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = now, user
    return membership
