from django.contrib import admin
from django.urls import include, path

from zabota.api.api import api
from zabota.core.views import ping

urlpatterns = [
    path("ping", ping, name="ping"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("zabota.web.urls")),
]
