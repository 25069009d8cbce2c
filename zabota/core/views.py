from django.http import HttpRequest, HttpResponse


def ping(request: HttpRequest) -> HttpResponse:
    """Liveness probe; also the benchmarks' baseline of a trivial Django view."""
    return HttpResponse(b"ok", content_type="text/plain")
