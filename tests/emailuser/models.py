"""User models of sites that log in by e-mail and have no username (``tests.settings_emailuser``),
as Wagtail's own ``wagtail/test/emailuser`` has."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class EmailUserManager(BaseUserManager):
    def _create_user(self, email, password, **fields):
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **fields):
        return self._create_user(email, password, **fields)

    def create_superuser(self, email, password, **fields):
        return self._create_user(email, password, is_staff=True, is_superuser=True, **fields)


class EmailUser(AbstractBaseUser, PermissionsMixin):
    """The e-mail address is the login: no username field at all."""

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    objects = EmailUserManager()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name


class BadgeUser(AbstractBaseUser):
    """Never the active user model: a model registration cannot serve (no e-mail address, a
    required number), for the system check's sake."""

    badge = models.CharField(max_length=20, unique=True)
    desk_number = models.PositiveIntegerField()

    USERNAME_FIELD = "badge"
