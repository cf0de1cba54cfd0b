"""The `Permissions-Policy` header on every answer (入侵防范): no page of StationNet uses the camera, the microphone,
the location or payments, so the browser refuses them to any script that would (settings.PERMISSIONS_POLICY).

The Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY); the referrer policy, HSTS and
`nosniff` from Django's SecurityMiddleware.
"""

from django.conf import settings

HEADER = "Permissions-Policy"


def permissions_policy(features: dict[str, tuple[str, ...]]) -> str:
    """`{"camera": ()}` → `camera=()`; `{"fullscreen": ("self",)}` → `fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in features.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(HEADER, self.value)
        return response
