"""The widget's language and its texts.

The script carries every text it shows, translated on the server with gettext (the catalogues
of the rest of Zabota), so the store's page loads no catalogue of its own. Placeholders in
braces (``{agent}``, ``{size}``) are filled in by the script.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zabota.chat.models import ChatSettings

WIDGET_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def _accepted(header: str) -> list[str]:
    """The base codes of an Accept-Language header, most wanted first (q=0 means "not")."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        code, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and quality > 0:
            ranked.append((-quality, position, code.split("-")[0].lower()))
    return [code for _q, _p, code in sorted(ranked)]


def widget_language(request: HttpRequest, chat_settings: ChatSettings) -> str:
    """The visitor's language: ``?lang=`` (the script passes on the one it was served in), else
    the first of the browser's languages the widget speaks, else the widget's or the store's
    default."""
    wanted = request.GET.get("lang", "")
    if wanted in WIDGET_LANGUAGES:
        return wanted
    for code in _accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code in WIDGET_LANGUAGES:
            return code
    for code in (chat_settings.language, chat_settings.store.default_language):
        if code in WIDGET_LANGUAGES:
            return code
    return "en"


def widget_texts() -> dict[str, str]:
    """Every text of the widget in the active language (call under ``translation.override``)."""
    return {
        "open": _("Chat with us"),
        "openUnread": _("Chat with us ({count} new)"),
        "close": _("Close"),
        "tabs": _("Chat or callback"),
        "tabChat": _("Chat"),
        "tabCallback": _("Call me back"),
        "online": _("Online — we answer in a few minutes"),
        "offline": _("Offline"),
        "loading": _("Loading…"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost — reconnecting…"),
        "waiting": _("Waiting for an agent — someone will be with you shortly."),
        "withAgent": _("{agent} is with you"),
        "typing": _("{agent} is typing…"),
        "someone": _("An agent"),
        "you": _("You"),
        "intro": _("Ask us anything — an agent will answer in a moment."),
        "name": _("Your name"),
        "email": _("E-mail"),
        "order": _("Order number"),
        "optional": _("(optional)"),
        "message": _("Message"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "fileTooBig": _("The file is too large: at most {size}."),
        "uploading": _("Uploading {name}…"),
        "required": _("Please fill in this field."),
        "badEmail": _("Please enter a valid e-mail address."),
        "badPhone": _("Please enter a phone number with its country or area code."),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "read": _("Read"),
        "failed": _("Not sent yet — it will be sent when the connection is back."),
        "end": _("End chat"),
        "endQuestion": _("End this chat?"),
        "transcript": _("E-mail me the transcript"),
        "cancel": _("Cancel"),
        "ended": _("The chat has ended. Thank you for writing to us!"),
        "transcriptSent": _("We will e-mail you the transcript."),
        "newChat": _("Start a new chat"),
        "leaveTitle": _("Leave us a message"),
        # {within}: "within 4 business hours", "as soon as we can" (chat.availability).
        "leavePromise": _(
            "Nobody can chat right now. Leave us a message and we will answer by e-mail {within}."
        ),
        "leaveSend": _("Send message"),
        "leaveThanks": _("Thank you! We got your message and will answer by e-mail."),
        "callbackIntro": _("Leave your number and we will call you."),
        "phone": _("Phone number"),
        "when": _("When should we call?"),
        "asap": _("As soon as possible"),
        "today": _("Today"),
        "tomorrow": _("Tomorrow"),
        "from": _("From"),
        "to": _("To"),
        "topic": _("What is it about?"),
        "callbackSend": _("Call me back"),
        "callbackThanks": _("Thank you! We will call you back."),
        "rateLimited": _("You are sending messages too fast — please wait a minute."),
        "blocked": _("Sorry, the chat is not available."),
        "error": _("Something went wrong. Please try again."),
        "network": _("No connection. Please check your internet connection and try again."),
        "newMessage": _("New message"),
        "conversation": _("Conversation"),
    }
