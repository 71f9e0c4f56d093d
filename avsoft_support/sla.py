"""First-response targets: when a ticket's first public staff reply is due.

Current clients count in plain hours; claimed and potential ones in working days
(Monday to Friday), so a ticket filed on Friday evening is due on Monday or Tuesday.
"""

from datetime import timedelta

from django.utils import timezone

from .models import ClientStatus


def add_working_days(start, days):
    # Weekdays as the support desk sees them: in the site's time zone, not UTC.
    due = timezone.localtime(start) if timezone.is_aware(start) else start
    added = 0
    while added < days:
        due += timedelta(days=1)
        if due.weekday() < 5:
            added += 1
    return due


def first_response_due(support_settings, client_status, created_at):
    if client_status == ClientStatus.CURRENT:
        return created_at + timedelta(hours=support_settings.sla_current_hours)
    if client_status == ClientStatus.CLAIMED:
        return add_working_days(created_at, support_settings.sla_claimed_working_days)
    return add_working_days(created_at, support_settings.sla_potential_working_days)
