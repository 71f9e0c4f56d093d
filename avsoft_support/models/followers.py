"""Who else gets a ticket's mails: members who follow it and addresses its author copies in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket, shared_ticket_rule


class TicketFollowerQuerySet(models.QuerySet):
    def receiving(self):
        """Followers who still get the mails: every copied address (the author chose it), and
        members who still see the ticket through their company (a member removed from the
        account, or whose account stopped sharing, gets nothing more)."""
        return self.filter(
            models.Q(user__isnull=True)
            | shared_ticket_rule(
                models.F("user__support_profile__client_account_id"), ticket_path="ticket__"
            )
        )

    def addresses(self):
        """The e-mail addresses these followers get mail at: a member's current address, or
        the copied address; one query."""
        rows = self.select_related("user").order_by("pk")
        seen, result = set(), []
        for follower in rows:
            address = follower.address
            if address and address.lower() not in seen:
                seen.add(address.lower())
                result.append(address)
        return result


class TicketFollower(models.Model):
    """A member following a ticket (``user``) or an address its author added as CC (``email``).

    A follower gets the ticket's customer-facing mails; following gives no access by itself:
    a CC address that belongs to nobody (or to someone who cannot see the ticket) gets the
    mails and nothing else.
    """

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TicketFollowerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket follower")
        verbose_name_plural = _("ticket followers")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "user"],
                condition=models.Q(user__isnull=False),
                name="avs_follower_unique_user",
            ),
            models.UniqueConstraint(
                fields=["ticket", "email"],
                condition=~models.Q(email=""),
                name="avs_follower_unique_email",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""),
                name="avs_follower_user_or_email",
            ),
        ]

    def __str__(self):
        return self.address

    @property
    def address(self):
        return self.user.email if self.user_id else self.email
