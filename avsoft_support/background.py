"""Django's tasks framework, where the site has it: ``django.tasks`` on Django 6, the
django-tasks backport (the ``django_tasks`` package, which Django's documentation points
Django 5.2 sites to) when it is installed, else None. With a task backend the senders are
enqueued after the commit, and a worker's queue (django-tasks-db, say) takes the mail off the
request; without one they run in the request, after the commit."""

from django import VERSION as DJANGO_VERSION

if DJANGO_VERSION >= (6, 0):
    from django.tasks import task
else:  # pragma: no cover - Django 5.2
    try:
        from django_tasks import task
    except ImportError:
        task = None

__all__ = ["task"]
