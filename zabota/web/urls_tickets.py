"""Routes of the ticket page (included into ``web.urls``, namespace "web")."""

from django.urls import path

from zabota.web.views import ticket_controls, ticket_email, ticket_reply, tickets

urlpatterns = [
    path("tickets/<int:ticket_id>/", tickets.ticket_page, name="ticket"),
    path("tickets/<int:ticket_id>/refresh/", tickets.refresh, name="ticket_refresh"),
    path("tickets/<int:ticket_id>/presence/", tickets.presence, name="ticket_presence"),
    path("tickets/<int:ticket_id>/leave/", tickets.leave, name="ticket_leave"),
    path("tickets/<int:ticket_id>/reply/", ticket_reply.reply, name="ticket_reply"),
    path("tickets/<int:ticket_id>/note/", ticket_reply.note, name="ticket_note"),
    path("tickets/<int:ticket_id>/preview/", ticket_reply.preview, name="ticket_preview"),
    path("tickets/<int:ticket_id>/macro/", ticket_reply.macro, name="ticket_macro"),
    path("tickets/<int:ticket_id>/status/", ticket_controls.change_status, name="ticket_status"),
    path(
        "tickets/<int:ticket_id>/confirm/",
        ticket_controls.confirm_solution,
        name="ticket_confirm",
    ),
    path(
        "tickets/<int:ticket_id>/priority/",
        ticket_controls.change_priority,
        name="ticket_priority",
    ),
    path("tickets/<int:ticket_id>/assign/", ticket_controls.assign, name="ticket_assign"),
    path("tickets/<int:ticket_id>/tags/add/", ticket_controls.add_tag, name="ticket_tag_add"),
    path(
        "tickets/<int:ticket_id>/tags/remove/",
        ticket_controls.remove_tag,
        name="ticket_tag_remove",
    ),
    path("tickets/<int:ticket_id>/merge/", ticket_controls.merge, name="ticket_merge"),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/email/retry/",
        ticket_email.retry,
        name="ticket_email_retry",
    ),
]
