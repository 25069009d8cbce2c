"""Every error leaves the API as ``{"code": …, "message": …}`` with a fitting HTTP status."""

import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from zabota.api.error_codes import (
    ApiError,
    ApiErrorCode,
    commerce_error_status,
    customer_error_status,
    ticket_error_status,
)
from zabota.commerce.error_codes import CommerceError
from zabota.commerce.models import Store
from zabota.customers.error_codes import CustomerError
from zabota.tickets.error_codes import TicketError
from zabota.tickets.macros import MacroRenderError
from zabota.tickets.queries import InvalidCursor

logger = logging.getLogger(__name__)

# Statuses of ninja's own HttpErrors (raised inside the framework) and the codes they get.
_HTTP_ERROR_CODES = {
    401: ApiErrorCode.UNAUTHORIZED,
    403: ApiErrorCode.PERMISSION_DENIED,
    404: ApiErrorCode.NOT_FOUND,
    429: ApiErrorCode.THROTTLED,
}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest, status: int, code: str, message: object, **extra: Any
    ) -> HttpResponse:
        return api.create_response(
            request, {"code": str(code), "message": str(message), **extra}, status=status
        )

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.code, exc.message)

    def on_ticket_error(request: HttpRequest, exc: TicketError) -> HttpResponse:
        return respond(request, ticket_error_status(exc.code), exc.code, exc.message)

    def on_customer_error(request: HttpRequest, exc: CustomerError) -> HttpResponse:
        return respond(request, customer_error_status(exc.code), exc.code, exc.message)

    def on_commerce_error(request: HttpRequest, exc: CommerceError) -> HttpResponse:
        return respond(request, commerce_error_status(exc.code), exc.code, exc.message)

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}
            for error in exc.errors
        ]
        code = ApiErrorCode.VALIDATION_ERROR
        return respond(request, 422, code, code.label, details=details)

    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        code = ApiErrorCode.UNAUTHORIZED
        response = respond(request, 401, code, code.label)
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        code = ApiErrorCode.NOT_FOUND
        return respond(request, 404, code, code.label)

    def on_invalid_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
        code = ApiErrorCode.INVALID_CURSOR
        return respond(request, 400, code, code.label)

    def on_macro_error(request: HttpRequest, exc: MacroRenderError) -> HttpResponse:
        error = ApiError(ApiErrorCode.MACRO_INVALID, 400, detail=str(exc))
        return respond(request, 400, error.code, error.message)

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        code = ApiErrorCode.THROTTLED
        response = respond(request, 429, code, code.label)
        if exc.wait:
            response["Retry-After"] = str(exc.wait)
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_ERROR_CODES.get(exc.status_code)
        if code is None:
            error = ApiError(ApiErrorCode.BAD_REQUEST, exc.status_code, detail=exc.message)
            return respond(request, exc.status_code, error.code, error.message)
        return respond(request, exc.status_code, code, code.label)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        code = ApiErrorCode.SERVER_ERROR
        return respond(request, 500, code, code.label)

    def handle[E: Exception](
        exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
    ) -> None:
        # ninja annotates handlers as taking the exception or its class; it passes instances.
        api.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]

    handle(ApiError, on_api_error)
    handle(TicketError, on_ticket_error)
    handle(CustomerError, on_customer_error)
    handle(CommerceError, on_commerce_error)
    handle(ValidationError, on_validation_error)
    handle(AuthenticationError, on_authentication_error)
    handle(Http404, on_not_found)
    handle(Store.DoesNotExist, on_not_found)
    handle(InvalidCursor, on_invalid_cursor)
    handle(MacroRenderError, on_macro_error)
    handle(Throttled, on_throttled)
    handle(HttpError, on_http_error)
    handle(Exception, on_unexpected)
