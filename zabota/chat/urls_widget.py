"""Public widget routes (no sign-in): the script, its state, and the visitor's HTTP calls."""

from django.urls import path

from zabota.chat import views_files
from zabota.chat import views_widget as views

app_name = "chat_widget"
urlpatterns = [
    # Before "<key>.js": a file link is /widget/files/<signed id>.
    path("files/<str:token>", views_files.download, name="file"),
    path("<slug:key>.js", views.script, name="script"),
    path("<slug:key>/try/", views.try_page, name="try"),
    path("<slug:key>/state", views.state, name="state"),
    path("<slug:key>/conversations", views.conversations, name="conversations"),
    path("<slug:key>/upload", views.upload, name="upload"),
    path("<slug:key>/end", views.end, name="end"),
    path("<slug:key>/message", views.message, name="message"),
    path("<slug:key>/callback", views.callback, name="callback"),
]
