"""The shop's accounts in an Amazon Cognito user pool (`CLICKSTREAM_AUTH_BACKEND=cognito`).

Sign-up, sign-in, token refresh and password reset go through the Cognito API with the pool's
app client; Cognito keeps the passwords and issues the ID and access tokens (RS256, its JWKS
at `<issuer>/.well-known/jwks.json`, which the ingest verifies). Each Cognito account is
mirrored by a `User` row keyed by its `sub`, so carts, orders and browser sessions work as
with local accounts; the row holds no usable password. Errors are the local backend's, with
the same messages, so pages need not know which backend answered.

`boto3` comes from the `clickstream[aws]` extra and is imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import User
from clickstream.auth.passwords import PasswordRejected
from clickstream.auth.resets import ResetLinkInvalid
from clickstream.auth.users import SIGN_IN_FAILED, SignInFailed, SignUpRejected, normalise_email

NO_PASSWORD = "!cognito"  # noqa: S105 (no argon2 hash: a mirrored account never signs in locally)


@dataclass(frozen=True)
class CognitoTokens:
    """What a Cognito sign-in or refresh gives: the ID and access tokens and their lifetime."""

    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int


def region_of(pool_id: str) -> str:
    """The region a pool id names (`eu-west-1_AbC123` -> `eu-west-1`)."""
    region, _, rest = pool_id.partition("_")
    if not region or not rest:
        raise ValueError(f"{pool_id!r} is not a Cognito user pool id such as eu-west-1_AbC123")
    return region


def issuer_of(pool_id: str) -> str:
    """The `iss` of the pool's tokens, whose JWKS the ingest verifies them with."""
    return f"https://cognito-idp.{region_of(pool_id)}.amazonaws.com/{pool_id}"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


class CognitoAccounts:
    """Accounts in one user pool through one app client (no client secret)."""

    def __init__(self, pool_id: str, client_id: str, client: Any | None = None) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        if client is None:
            import boto3

            client = boto3.client("cognito-idp", region_name=region_of(pool_id))
        self.client = client

    @property
    def issuer(self) -> str:
        """The `iss` of this pool's tokens."""
        return issuer_of(self.pool_id)

    def sign_up(self, email: str, password: str) -> str:
        """Create the account in the pool; returns its `sub`. Cognito e-mails a code."""
        email = normalise_email(email)
        try:
            reply = self.client.sign_up(
                ClientId=self.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        except Exception as exc:
            code = _code(exc)
            if code == "UsernameExistsException":
                raise SignUpRejected("An account with this e-mail already exists.") from None
            if code == "InvalidPasswordException":
                raise PasswordRejected(_message(exc)) from None
            if code == "InvalidParameterException":
                raise SignUpRejected("Enter a valid e-mail address.") from None
            raise
        return str(reply["UserSub"])

    def confirm_sign_up(self, email: str, code: str) -> None:
        """Confirm the account with the code Cognito e-mailed."""
        try:
            self.client.confirm_sign_up(
                ClientId=self.client_id, Username=normalise_email(email), ConfirmationCode=code
            )
        except Exception as exc:
            if _code(exc) in ("CodeMismatchException", "ExpiredCodeException"):
                raise SignUpRejected("That code is wrong or has expired.") from None
            raise

    def sign_in(self, email: str, password: str) -> CognitoTokens:
        """The ID and access tokens for a right password; `SignInFailed` otherwise."""
        try:
            reply = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": normalise_email(email), "PASSWORD": password},
            )
        except Exception as exc:
            # Unknown user, wrong password, too many attempts: one message, as locally.
            if _code(exc) in (
                "NotAuthorizedException",
                "UserNotFoundException",
                "PasswordResetRequiredException",
                "TooManyRequestsException",
            ):
                raise SignInFailed(SIGN_IN_FAILED) from None
            if _code(exc) == "UserNotConfirmedException":
                raise SignInFailed("Confirm your e-mail address first.") from None
            raise
        return _tokens(reply)

    def refresh(self, refresh_token: str) -> CognitoTokens:
        """Fresh ID and access tokens from a refresh token."""
        try:
            reply = self.client.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except Exception as exc:
            if _code(exc) == "NotAuthorizedException":
                raise SignInFailed(SIGN_IN_FAILED) from None
            raise
        tokens = _tokens(reply)
        return CognitoTokens(tokens.id_token, tokens.access_token, refresh_token, tokens.expires_in)

    def request_reset(self, email: str) -> None:
        """Have Cognito e-mail a reset code; says nothing about whether the account exists."""
        try:
            self.client.forgot_password(ClientId=self.client_id, Username=normalise_email(email))
        except Exception as exc:
            if _code(exc) in ("UserNotFoundException", "InvalidParameterException"):
                return
            raise

    def reset_password(self, email: str, code: str, new_password: str) -> None:
        """Set a new password with the e-mailed code."""
        try:
            self.client.confirm_forgot_password(
                ClientId=self.client_id,
                Username=normalise_email(email),
                ConfirmationCode=code,
                Password=new_password,
            )
        except Exception as exc:
            code_name = _code(exc)
            if code_name in ("CodeMismatchException", "ExpiredCodeException"):
                raise ResetLinkInvalid(
                    "This reset code is wrong, expired or used already."
                ) from None
            if code_name == "InvalidPasswordException":
                raise PasswordRejected(_message(exc)) from None
            if code_name == "UserNotFoundException":
                raise ResetLinkInvalid(
                    "This reset code is wrong, expired or used already."
                ) from None
            raise

    def subject_of(self, tokens: CognitoTokens) -> tuple[str, str]:
        """The account's `sub` and e-mail, as the pool reports them for the access token."""
        reply = self.client.get_user(AccessToken=tokens.access_token)
        attributes = {a["Name"]: a["Value"] for a in reply.get("UserAttributes", [])}
        return attributes["sub"], attributes.get("email", reply["Username"])


def mirrored_user(db: Session, sub: str, email: str) -> User:
    """The local `User` row of a Cognito account (created on its first sign-in)."""
    user = db.get(User, sub)
    if user is None:
        user = User(
            id=sub,
            email=normalise_email(email),
            password_hash=NO_PASSWORD,
            created_at=utc.now(),
            failed_logins=0,
        )
        db.add(user)
        db.commit()
    return user


def _tokens(reply: dict[str, Any]) -> CognitoTokens:
    result = reply.get("AuthenticationResult")
    if not result:  # a challenge (MFA, new password) the shop's forms do not answer
        raise SignInFailed(SIGN_IN_FAILED)
    return CognitoTokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result.get("ExpiresIn", 3600)),
    )
