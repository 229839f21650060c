"""Sign-in throttling with django-axes: who the client is, when it is locked out,
and what it is told.

Failures are counted per account (the username typed, whether or not such an
account exists) and per client address, each against its own limit, over the
last cool-off period; either count at its limit refuses the next attempt
before the password is checked. docs/deploy.md explains the settings.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _proxy_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(
        ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"
    )


def _parse(address: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    # An IPv4 peer of a dual-stack socket arrives as ::ffff:a.b.c.d.
    return getattr(ip, "ipv4_mapped", None) or ip


def client_address(request: HttpRequest) -> str | None:
    """The address of the client, as the nearest trusted proxy saw it.

    gunicorn leaves REMOTE_ADDR as the peer (the proxy, behind one), whatever
    `forwarded_allow_ips` says: that setting only lets the proxy set the scheme.
    So X-Forwarded-For is read here, under the same rule: only when the peer is
    a trusted proxy (APPARATUS_FORWARDED_ALLOW_IPS; a unix socket counts as
    trusted, as gunicorn treats it). The header is read from the right, since
    each proxy appends the address it saw and a client can write anything to
    its left; the first address that is not itself a trusted proxy is the
    client's. "*" trusts the peer whatever its address, and only its entry.
    """
    entries = tuple(settings.APPARATUS_TRUSTED_PROXIES)
    networks = _proxy_networks(entries)

    def is_proxy(ip: IPAddress) -> bool:
        return any(ip in network for network in networks)

    address = None  # a unix socket's peer has none
    if peer := request.META.get("REMOTE_ADDR", ""):
        peer_ip = _parse(peer)
        if peer_ip is None:
            return None
        if "*" not in entries and not is_proxy(peer_ip):
            return str(peer_ip)
        address = str(peer_ip)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([hop for hop in forwarded.split(",") if hop.strip()]):
        hop_ip = _parse(hop)
        if hop_ip is None:
            break  # garbage from further left: keep the last address we trust
        address = str(hop_ip)
        if not is_proxy(hop_ip):
            break
    return address


class SignInThrottleBackend(AxesStandaloneBackend):
    """axes' gate, first in AUTHENTICATION_BACKENDS: a locked-out attempt is
    refused here, before ModelBackend runs the password hasher.

    Without a request there is no client to throttle: that is code calling
    authenticate() itself (a management command, the test client's login()),
    never a sign-in from the network, which always passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )


def _failures(attempts: QuerySet) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class SignInThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per account and another per address.

    axes compares one number, get_failures(), with one limit (AXES_FAILURE_LIMIT,
    the account's). The address has a higher limit of its own, since a
    research group often signs in from one shared address: it counts only
    once it reaches that limit, and then refuses like a locked account.
    """

    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(
            attempt_time__gte=get_cool_off_threshold(request)
        )
        username = get_client_username(request, credentials)
        by_account = _failures(recent.filter(username=username))
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))
        if by_address >= settings.APPARATUS_SIGNIN_FAILURES_PER_ADDRESS:
            return max(by_account, settings.AXES_FAILURE_LIMIT)
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in, forget that account's failures only.

        axes' own reset would also delete every failure from the address,
        whichever account it was for: anyone with an account could then clear
        the failures they had just made against someone else's.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """The sign-in page again, with one message whatever the username: it must
    not tell whether an account exists. 429, with Retry-After."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    response = render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "next": next_url,
            "locked_out": True,
            "lockout_minutes": minutes,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


# The longest username there can be (Django's User.username); a longer one typed
# at sign-in counts against its first 150 characters, so it fits axes' table.
USERNAME_LENGTH = 150


def username_typed(request, credentials: dict | None = None) -> str | None:
    """The username a sign-in names (the form's, or the credentials'), cut to the
    length any username can have: what axes counts failures against."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    if not isinstance(username, str):
        return None
    return username[:USERNAME_LENGTH]
