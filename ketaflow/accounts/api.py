"""Accounts as JSON: who am I, my API tokens, and (for clinic admins) the clinic's users."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.models import ApiToken
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Role, capabilities_of
from ketaflow.accounts.selectors import clinic_users, own_tokens
from ketaflow.accounts.services import (
    create_staff_user,
    issue_api_token,
    revoke_api_token,
    set_user_active,
)
from ketaflow.lib.api_schemas import Bool, InputSchema, PathId, Text, choices_description, text

router = Router(tags=["accounts"])


class ClinicOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str = Field(description="IANA zone; times are stored in UTC, shown in this")
    is_synthetic: bool = Field(description="A demo clinic: every record in it is made up")


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    title: str
    role: str
    clinic: ClinicOut | None
    capabilities: list[str] = Field(description="What this role may do (see roles.py)")

    @staticmethod
    def resolve_capabilities(obj: Any) -> list[str]:
        return sorted(str(c) for c in capabilities_of(obj.role)) if obj.clinic_id else []


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most every 5 minutes")
    revoked_at: datetime | None
    expires_at: datetime = Field(description="After this the token no longer works")
    read_only: bool = Field(description="A read-only token is refused (403) on any change")


class TokenCreatedOut(TokenOut):
    token: str = Field(
        description="The token itself, shown this once only (only a hash is stored). Send it "
        "as `Authorization: Bearer <token>`."
    )


class TokenIn(InputSchema):
    name: Text = text(100, "What the token is for, e.g. 'reporting script'", min_length=1)
    days: int = Field(
        default=ApiToken.DEFAULT_DAYS,
        ge=1,
        le=ApiToken.MAX_DAYS,
        description=f"How many days the token works (1-{ApiToken.MAX_DAYS})",
    )
    read_only: Bool = Field(default=False, description="true: the token can only read")


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    title: str
    role: str
    is_active: bool
    last_login: datetime | None


class UserIn(InputSchema):
    username: Text = text(150, "Letters, digits and @.+-_ only", min_length=1)
    password: Text = text(
        128, "Initial password; must pass the password rules (length, not common)", min_length=1
    )
    role: Role = Field(description=choices_description("The user's role.", Role))
    first_name: Text = text(150, "Given name", default="")
    last_name: Text = text(150, "Family name", default="")
    email: Text = text(254, "E-mail address", default="")
    title: Text = text(60, "e.g. RN, MD, NP", default="")


class ActiveIn(InputSchema):
    active: Bool = Field(description="false deactivates (users are never deleted)")


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> Any:
    return staff_user(request)


@router.get("/tokens", response=list[TokenOut], summary="My API tokens (not revoked)")
def tokens(request: HttpRequest) -> Any:
    return list(own_tokens(staff_user(request)))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Issue an API token")
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    token, raw = issue_api_token(
        staff_user(request), payload.name, days=payload.days, read_only=payload.read_only
    )
    out = TokenOut.model_validate(token).model_dump()
    return Status(201, {**out, "token": raw})


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke one of my tokens")
def revoke_token(request: HttpRequest, token_id: PathId) -> Any:
    actor = staff_user(request)
    token = own_tokens(actor).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token of yours (or it is already revoked).")
    revoke_api_token(actor, token)
    return token


@router.get("/users", response=list[UserOut], summary="The clinic's users (clinic admin)")
def users(request: HttpRequest) -> Any:
    return list(clinic_users(staff_user(request)))


@router.post("/users", response={201: UserOut}, summary="Add a user (clinic admin)")
def add_user(request: HttpRequest, payload: UserIn) -> Status[Any]:
    data = payload.model_dump()
    data["role"] = payload.role.value
    return Status(201, create_staff_user(staff_user(request), **data))


@router.post(
    "/users/{user_id}/active", response=UserOut, summary="(De)activate a user (clinic admin)"
)
def set_active(request: HttpRequest, user_id: PathId, payload: ActiveIn) -> Any:
    actor = staff_user(request)
    user = clinic_users(actor).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in your clinic.")
    return set_user_active(actor, user, active=payload.active)
