"""Public routes (no sign-in): answer links, the public link and its QR code, the kiosk, the
website pop-up and its snippet."""

from django.urls import path

from zabota.surveys import views_public

app_name = "surveys_public"
urlpatterns = [
    path("a/<str:token>/", views_public.answer, name="answer"),
    path("embed/<slug:slug>.js", views_public.embed, name="embed"),
    path("<str:public_key>/", views_public.public, name="public"),
    path("<str:public_key>/qr.svg", views_public.qr, name="qr"),
    path("<str:public_key>/kiosk/", views_public.kiosk, name="kiosk"),
    path("<str:public_key>/popup/", views_public.popup, name="popup"),
]
