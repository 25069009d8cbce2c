"""The customer portal (no staff sign-in): an e-mailed link signs the customer in."""

from django.urls import URLPattern, path

from zabota.surveys import views_portal

app_name = "portal"
urlpatterns: list[URLPattern] = [
    path("<slug:slug>/", views_portal.sign_in, name="sign_in"),
    path("<slug:slug>/enter/<str:token>/", views_portal.enter, name="enter"),
    path("<slug:slug>/home/", views_portal.home, name="home"),
    path("<slug:slug>/feedback/", views_portal.feedback, name="feedback"),
    path("<slug:slug>/sign-out/", views_portal.sign_out, name="sign_out"),
]
