"""Whose credentials the launcher calls Google Cloud with: Application Default Credentials,
refreshed once (a token from Google's token endpoint), so that missing, expired or revoked
credentials are found before anything is submitted; the account's e-mail where it can be known
(a service account's, or the user's from the ID token or gcloud's record of the login)."""

import functools
from dataclasses import dataclass

import google.auth
import google.auth.exceptions
from google.auth import jwt
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request

from .findings import REQUEST_TIMEOUT_S, Finding, ok, problem, warning

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
LOGIN = "gcloud auth application-default login"


@dataclass(frozen=True)
class Identity:
    credentials: Credentials
    # the account's e-mail, when it can be known
    account: str | None

    @property
    def who(self) -> str:
        return self.account or "your Application Default Credentials"

    @property
    def token(self) -> str | None:
        token = self.credentials.token
        return str(token) if token else None


def account_of(credentials: Credentials) -> str | None:
    """The e-mail of the account behind the credentials, if they tell it."""
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    account = getattr(credentials, "account", None)  # user credentials as gcloud writes them
    if isinstance(account, str) and account:
        return account
    id_token = getattr(credentials, "id_token", None)  # a user login's ID token: its claims
    if isinstance(id_token, str) and id_token:
        try:
            claims = jwt.decode(id_token, verify=False)  # type: ignore[no-untyped-call]
        except ValueError:
            return None
        email = claims.get("email")
        return email if isinstance(email, str) else None
    return None


def check_credentials() -> tuple[list[Finding], Identity | None]:
    """The findings, and the refreshed credentials (None when there are none to use)."""
    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError as e:
        fix = (
            f"no Google Cloud credentials (Application Default Credentials) were found: run "
            f"`{LOGIN}`, or on a VM or in CI give the machine a service account (or set "
            f"GOOGLE_APPLICATION_CREDENTIALS to a credentials file). ({e})"
        )
        return [problem("credentials", fix)], None
    request = functools.partial(Request(), timeout=REQUEST_TIMEOUT_S)
    try:
        credentials.refresh(request)  # type: ignore[no-untyped-call]
    except google.auth.exceptions.RefreshError as e:
        who = account_of(credentials) or "Application Default Credentials"
        fix = (
            f"the credentials of {who} were refused by Google ({e}): they expired or were "
            f"revoked; run `{LOGIN}` again."
        )
        return [problem("credentials", fix)], None
    except google.auth.exceptions.TransportError as e:
        text = f"Google's token endpoint did not answer ({e}): nothing was checked on Google Cloud"
        return [warning("credentials", text)], None
    identity = Identity(credentials, account_of(credentials))
    return [ok("credentials", f"credentials of {identity.who}")], identity
