from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    """Once someone is logged in, the interface follows their preferred language,
    unless they picked one explicitly with the language switcher (cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not chosen:
            lang = getattr(user, "language", None)
            if lang:
                translation.activate(lang)
                request.LANGUAGE_CODE = lang
        return self.get_response(request)
