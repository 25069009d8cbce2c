from django.contrib import admin
from django.urls import include, path

from zabota.api.api import api
from zabota.core.views import ping

urlpatterns = [
    path("ping", ping, name="ping"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Public survey pages (no sign-in): answer links, public link and QR, kiosk, pop-up.
    path("s/", include("zabota.surveys.urls_public")),
    # The customer portal (signed-in by an e-mailed link) and the public scores pages.
    path("portal/", include("zabota.surveys.urls_portal")),
    path("scores/", include("zabota.surveys.urls_scores")),
    # The live chat widget's script and its public HTTP calls (no sign-in; signed visitor token).
    path("widget/", include("zabota.chat.urls_widget")),
    path("callbacks/", include("zabota.callbacks.urls")),
    path("", include("zabota.web.urls")),
]
