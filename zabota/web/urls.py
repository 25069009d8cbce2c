"""Agent UI routes. The ticket page's routes live in ``urls_tickets`` (same ``web`` namespace)."""

from django.urls import path

from zabota.web import urls_tickets
from zabota.web.views import account, attachments, auth, customers, inbox, search

app_name = "web"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("tickets/bulk/", inbox.bulk, name="bulk"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path("customers/<int:customer_id>/merge/", customers.merge, name="customer_merge"),
    path("search/", search.search, name="search"),
    path("account/", account.account, name="account"),
    path("attachments/<int:attachment_id>/", attachments.download, name="attachment"),
]
urlpatterns += urls_tickets.urlpatterns
