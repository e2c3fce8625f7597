from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    ADMIN = "admin", _("Admin")


class PlatformUserManager(UserManager["User"]):
    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person on the platform. Everyone signs up as a student; an admin promotes teachers."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)
    # The interface language the user chose; blank until they choose, and then the browser's
    # Accept-Language (or the cookie) decides. A code from settings.LANGUAGES. The database
    # default too: code written against the table before this column (historical models in
    # migrations, a process not yet restarted during a deploy) inserts rows without it.
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
    )

    objects: ClassVar[PlatformUserManager] = PlatformUserManager()

    class Meta:
        ordering = ["username"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The admin role is what opens the Django admin (with every permission); the role is the
        # one switch, so the two flags cannot drift away from it.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.TEACHER

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def can_author_courses(self) -> bool:
        return self.is_teacher or self.is_platform_admin

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
