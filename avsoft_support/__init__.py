"""avsoft_support: a customer support portal for Wagtail sites."""

VERSION = (0, 1, 0)
__version__ = ".".join(str(part) for part in VERSION)
