from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from rest_framework.authtoken.models import Token

from accounts.models import Role, User


def user_sign_up(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create a student account. Teachers and admins are only ever made by an admin."""
    return User.objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        role=Role.STUDENT,
    )


def api_token_get(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_regenerate(*, user: User) -> Token:
    """Replace the user's API token; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def user_language_set(*, user: User, language: str) -> None:
    """Remember the interface language a user chose (a code from settings.LANGUAGES)."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def user_language(*, user: Any) -> str:
    """The language to address this user in when no request says it (notifications, emails):
    their chosen one, else the site's default."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


@contextmanager
def language_of(*, user: Any) -> Iterator[None]:
    """Translate in `user`'s language inside the block: for text made for someone other than
    the person whose request (or task) is running, such as a notification or an email."""
    with translation.override(user_language(user=user)):
        yield
