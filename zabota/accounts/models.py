import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.accounts.constants import Role
from zabota.core.models import TimestampedModel


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    """A member of the support team; the agent profile (languages, capacity) lives here."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(_("active"), default=True)
    languages = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("Language codes, e.g. en, ru.")
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=5, help_text=_("Conversations this agent can handle at once.")
    )
    ui_language = models.CharField(
        _("interface language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    date_joined = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD

    # The Django admin is the configuration UI; only admins may use it.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: object, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    @property
    def initials(self) -> str:
        parts = (self.name or self.email).split()
        return "".join(p[0] for p in parts[:2]).upper()


class Group(TimestampedModel):
    """A team ("star"): a lead and the agents around them, within one store."""

    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=100)
    lead = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_groups"
    )
    members = models.ManyToManyField(User, related_name="support_groups", blank=True)
    members_see_unassigned = models.BooleanField(
        _("members see unassigned tickets"),
        default=True,
        help_text=_("If off, only the lead sees tickets nobody has taken yet."),
    )

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="group_unique_name")]

    def __str__(self) -> str:
        return self.name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal REST API token. Only its hash is stored; the raw value is shown once."""

    PREFIX = "zbt_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        _("hint"), max_length=12, help_text=_("First characters, to tell tokens apart.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
