from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def support_login_widget(context):
    return ""
