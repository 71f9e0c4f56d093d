"""Request gates: the staff OTP gate and the old site's addresses."""


class StaffOTPMiddleware:
    # Placeholder until the staff side lands (issue 4): passes everything through.
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class LegacyRedirectMiddleware:
    # Placeholder until the ticketing lands (issue 3): passes everything through.
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
