"""``{{ message.body|support_markdown }}``: user Markdown to safe HTML, through sanitize.py."""

from django import template

from ..sanitize import render_markdown

register = template.Library()


@register.filter(name="support_markdown")
def support_markdown(value):
    return render_markdown(value)
