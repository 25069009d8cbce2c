"""Agent UI routes. The ticket page's routes live in ``urls_tickets`` (same ``web`` namespace)."""

from django.urls import path

from zabota.web import (
    urls_chats,
    urls_notifications,
    urls_routing,
    urls_surveys_builder,
    urls_surveys_reports,
    urls_surveys_staff,
    urls_tickets,
    urls_webhooks,
)
from zabota.web.views import (
    account,
    attachments,
    auth,
    automation,
    confirm,
    customers,
    inbox,
    routing,
    search,
    stores,
)

app_name = "web"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("tickets/bulk/", inbox.bulk, name="bulk"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path("customers/<int:customer_id>/merge/", customers.merge, name="customer_merge"),
    path("customers/<int:customer_id>/timeline/", customers.timeline, name="customer_timeline"),
    path("customers/<int:customer_id>/dates/", customers.add_date, name="customer_date_add"),
    path(
        "customers/<int:customer_id>/dates/<int:date_id>/delete/",
        customers.delete_date,
        name="customer_date_delete",
    ),
    path("customers/dates/", customers.upcoming, name="upcoming_dates"),
    path("stores/settings/", stores.settings_home, name="store_settings_home"),
    path("stores/<slug:slug>/settings/", stores.store_settings, name="store_settings"),
    path("search/", search.search, name="search"),
    path("workload/", routing.workload, name="workload"),
    path("availability/", routing.availability, name="availability"),
    path("automation/rules/", automation.rules, name="automation_rules"),
    path("automation/rules/new/", automation.rule_form, name="automation_rule_new"),
    path("automation/rules/<int:rule_id>/", automation.rule_form, name="automation_rule"),
    path("automation/rules/<int:rule_id>/test/", automation.rule_test, name="automation_rule_test"),
    path("automation/rules/row/<str:kind>/", automation.rule_row, name="automation_rule_row"),
    path("account/", account.account, name="account"),
    path("attachments/<int:attachment_id>/", attachments.download, name="attachment"),
    # Public: the customer's answer to a proposed solution, by signed link (no sign-in).
    path("c/<str:token>/yes/", confirm.answer, {"answer": "yes"}, name="confirm_yes"),
    path("c/<str:token>/no/", confirm.answer, {"answer": "no"}, name="confirm_no"),
]
urlpatterns += urls_tickets.urlpatterns
urlpatterns += urls_notifications.urlpatterns
urlpatterns += urls_routing.urlpatterns
urlpatterns += urls_webhooks.urlpatterns
urlpatterns += urls_surveys_builder.urlpatterns
urlpatterns += urls_surveys_reports.urlpatterns
urlpatterns += urls_surveys_staff.urlpatterns
urlpatterns += urls_chats.urlpatterns
