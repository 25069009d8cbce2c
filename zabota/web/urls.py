from django.urls import path

from zabota.web.views import auth

app_name = "web"
urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("", auth.login_view, name="inbox"),
]
