"""Signal receivers, connected by AppConfig.ready()."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_save
from wagtail.models import Site, get_page_models
from wagtail.signals import post_page_move

from . import auth, queue_cache, routing, search_index
from .models import Attachment, MemberProfile, Message, SupportSettings, Ticket
from .models.tickets import QUEUE_FIELDS


def delete_attachment_file(sender, instance, **kwargs):
    """A deleted attachment (or ticket) takes its file with it, once the deletion is committed."""
    name = instance.file.name
    if name:
        storage = instance.file.storage
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def drop_now_and_at_commit(drop):
    """A cached copy of rows being changed: dropped now, and again at the commit, in case a
    request read the old rows (and kept them) in between."""
    drop()
    transaction.on_commit(drop, robust=True)


def connect_saved_or_deleted(receiver, models, uid):
    """``receiver`` for every save and every delete of each of ``models``."""
    for signal in (post_save, post_delete):
        for model in models:
            signal.connect(
                receiver,
                sender=model,
                dispatch_uid=f"{uid}_{model._meta.label}_{'saved' if signal is post_save else 'deleted'}",
            )


def support_settings_changed(sender, instance, **kwargs):
    """A site's settings (or the site, kept with them) saved or deleted."""
    site_id = instance.pk if sender is Site else instance.site_id
    drop_now_and_at_commit(lambda: SupportSettings.forget(site_id))


def pages_changed(sender, **kwargs):
    """A page or a site saved, deleted or moved: the support pages' routes are found again."""
    drop_now_and_at_commit(routing.forget_all)


def count_failed_login(sender, credentials, request=None, **kwargs):
    """Any failed authenticate(), whichever form or view called it, counts for the member
    area's login limits (avsoft_support/auth.py)."""
    auth.count_failed_login(request, credentials)


def reset_login_limit(sender, request, user, **kwargs):
    auth.reset_account_limit(user)


# The ticket search index (search_index.py) and the queue's cached counters follow changes.
TICKET_TEXT_FIELDS = {"subject", "invoice_number", "product_other", "product_version", "author"}
PROFILE_TEXT_FIELDS = {"full_name", "company", "invoice_number", "phone", "client_account"}
USER_TEXT_FIELDS = {"username", "email", "first_name", "last_name"}


def _touches(update_fields, names):
    return update_fields is None or bool(names & set(update_fields))


def ticket_saving(sender, instance, raw=False, **kwargs):
    if not raw and instance._state.adding and not instance.search_text:
        search_index.prepare_new_ticket(instance)


def _queue_state_after(instance, update_fields):
    """What the row now holds of the fields the queue counts: the saved fields' new values,
    the others' as they were loaded (None: unknown)."""
    if update_fields is None:
        return instance.queue_state()
    before = instance.queue_state_saved
    if before is None:  # (asked before the fields: a deferred one would be read from the row)
        return None
    saved = {Ticket._meta.get_field(name).attname for name in update_fields}
    return tuple(
        getattr(instance, name) if name in saved else old
        for name, old in zip(QUEUE_FIELDS, before, strict=True)
    )


def ticket_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # The queue's counters move by one where the ticket's state before the save is known
    # (loaded with the fields they count); otherwise they are counted again.
    before = None if created else instance.queue_state_saved
    after = None if raw else _queue_state_after(instance, update_fields)
    if after is None or (before is None and not created):
        queue_cache.changed()
    else:
        queue_cache.ticket_moved(before, after)
    instance.queue_state_saved = after
    if not raw and not created and _touches(update_fields, TICKET_TEXT_FIELDS):
        search_index.reindex([instance.pk])


def ticket_deleted(sender, instance, **kwargs):
    if instance.queue_state_saved is None:
        queue_cache.changed()
    else:
        queue_cache.ticket_moved(instance.queue_state_saved, None)


def message_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        search_index.append_message(instance)
    else:
        search_index.reindex([instance.ticket_id])


def profile_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw and not created and _touches(update_fields, PROFILE_TEXT_FIELDS):
        search_index.reindex_member(instance.user_id)


def user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw and not created and _touches(update_fields, USER_TEXT_FIELDS):
        search_index.reindex_member(instance.pk)


def user_deleting(sender, instance, **kwargs):
    # Open tickets assigned to them become unassigned through a queryset update (SET_NULL).
    queue_cache.changed()
    # Their tickets stay, linked to nobody: their name and e-mail must leave the search text.
    instance._avsoft_support_ticket_ids = list(
        Ticket.objects.filter(author_id=instance.pk).values_list("pk", flat=True)
    )


def user_deleted(sender, instance, **kwargs):
    search_index.reindex(getattr(instance, "_avsoft_support_ticket_ids", ()))


def make_search_index(sender, using="default", **kwargs):
    search_index.ensure_index(using)
    search_index.backfill(using)


def connect():
    pre_save.connect(ticket_saving, sender=Ticket, dispatch_uid="avsoft_support_ticket_saving")
    post_save.connect(ticket_saved, sender=Ticket, dispatch_uid="avsoft_support_ticket_saved")
    post_delete.connect(ticket_deleted, sender=Ticket, dispatch_uid="avsoft_support_ticket_deleted")
    post_save.connect(message_saved, sender=Message, dispatch_uid="avsoft_support_message_saved")
    post_save.connect(
        profile_saved, sender=MemberProfile, dispatch_uid="avsoft_support_profile_saved"
    )
    user_model = get_user_model()
    post_save.connect(user_saved, sender=user_model, dispatch_uid="avsoft_support_user_saved")
    pre_delete.connect(
        user_deleting, sender=user_model, dispatch_uid="avsoft_support_user_deleting"
    )
    post_delete.connect(user_deleted, sender=user_model, dispatch_uid="avsoft_support_user_deleted")
    post_migrate.connect(
        make_search_index,
        sender=apps.get_app_config("avsoft_support"),
        dispatch_uid="avsoft_support_search_index",
    )
    post_delete.connect(
        delete_attachment_file,
        sender=Attachment,
        dispatch_uid="avsoft_support_attachment_file_cleanup",
    )
    connect_saved_or_deleted(
        support_settings_changed, (SupportSettings, Site), "avsoft_support_settings_changed"
    )
    connect_saved_or_deleted(pages_changed, (*get_page_models(), Site), "avsoft_support_routes")
    post_page_move.connect(pages_changed, dispatch_uid="avsoft_support_routes_page_moved")
    user_login_failed.connect(count_failed_login, dispatch_uid="avsoft_support_login_failed")
    user_logged_in.connect(reset_login_limit, dispatch_uid="avsoft_support_login_reset")
