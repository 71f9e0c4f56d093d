"""The second factor on django-otp: devices and codes (``devices``), the session (``session``),
the staff gate (``middleware.StaffOTPMiddleware``), and the staff and member views with their
URL modules."""
