"""The customer page: identities, language and notes, their tickets, the audit trail, merging."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.customers.access import access_customer_by_id
from zabota.customers.actions import check_add_identity, check_merge_customers, do_update_customer
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import Customer
from zabota.tickets.access import can_merge_customers
from zabota.tickets.queries import customer_tickets
from zabota.web.forms import CustomerForm, IdentityForm, MergeCustomerForm

# How much history the page shows; older rows stay in the database and the admin.
TICKETS_SHOWN = 30
AUDIT_SHOWN = 30
UPDATE = "update"
ADD_IDENTITY = "identity"


def _customer_or_404(user: User, customer_id: int) -> Customer:
    try:
        return access_customer_by_id(user, customer_id)
    except CustomerError as exc:
        raise Http404(exc.message) from exc


@login_required
@require_http_methods(["GET", "POST"])
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET shows the customer; POST ``action=update`` saves name/language/notes,
    ``action=identity`` adds an identity."""
    user = cast(User, request.user)
    person = _customer_or_404(user, customer_id)
    details_form = CustomerForm(
        initial={
            "display_name": person.display_name,
            "language": person.language,
            "notes": person.notes,
        }
    )
    identity_form = IdentityForm()
    action = request.POST.get("action") if request.method == "POST" else None
    if action == UPDATE:
        details_form = CustomerForm(request.POST)
        if details_form.is_valid():
            do_update_customer(person, actor=user, **details_form.cleaned_data)
            messages.success(request, _("Customer saved."))
            return redirect("web:customer", customer_id=person.pk)
    elif action == ADD_IDENTITY:
        identity_form = IdentityForm(request.POST)
        if identity_form.is_valid():
            try:
                check_add_identity(person, actor=user, **identity_form.cleaned_data)
            except CustomerError as exc:
                identity_form.add_error("value", exc.message)
            else:
                messages.success(request, _("Identity added."))
                return redirect("web:customer", customer_id=person.pk)
    context: dict[str, Any] = {
        "customer": person,
        "identities": sorted(person.identities.all(), key=lambda i: (i.kind, i.value)),
        "tickets": customer_tickets(user, person.pk, limit=TICKETS_SHOWN),
        "audit": person.events.select_related("actor").order_by("-created_at", "-id")[:AUDIT_SHOWN],
        "details_form": details_form,
        "identity_form": identity_form,
        "editing": action == UPDATE,
        "can_merge": can_merge_customers(user),
    }
    status = 400 if action in (UPDATE, ADD_IDENTITY) else 200
    return render(request, "web/customers/customer.html", context, status=status)


@login_required
@require_POST
def merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge a duplicate (``source``) into this customer, who survives."""
    user = cast(User, request.user)
    target = _customer_or_404(user, customer_id)
    form = MergeCustomerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the duplicate to merge."))
        return redirect("web:customer", customer_id=target.pk)
    try:
        source = access_customer_by_id(user, form.cleaned_data["source"])
        check_merge_customers(source, target, actor=user)
    except CustomerError as exc:
        if exc.code == CustomerErrorCode.NOT_FOUND:
            messages.error(request, _("That customer was not found."))
        else:
            messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(source)s was merged into %(target)s.") % {"source": source, "target": target},
        )
    return redirect("web:customer", customer_id=target.pk)
