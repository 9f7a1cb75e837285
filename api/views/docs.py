"""Schema and browsable docs. Swagger UI is served from our static files (the sidecar
package), with its init script as a separate file, so the strict CSP holds."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny


class SchemaView(SpectacularAPIView):
    # The schema describes the API's shape only, no data: integrators fetch it anonymously.
    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]
    throttle_classes: list = []


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    authentication_classes = [SessionAuthentication]
    throttle_classes: list = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
