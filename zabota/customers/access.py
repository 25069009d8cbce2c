"""Permission-checked customer fetches. Admins and leads see every customer; agents see the
customers of tickets they can see."""

from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import Customer, ImportantDate
from zabota.tickets.access import tickets_with_visible_customer


def visible_customers(user: User) -> QuerySet[Customer]:
    qs = Customer.objects.filter(merged_into__isnull=True)
    if user.is_admin or user.is_lead:
        return qs
    return qs.filter(tickets_with_visible_customer(user))


def access_customer_by_id(user: User, customer_id: int) -> Customer:
    customer = visible_customers(user).filter(pk=customer_id).prefetch_related("identities").first()
    if customer is None:
        raise CustomerError(CustomerErrorCode.NOT_FOUND)
    return customer


def access_important_date_by_id(user: User, date_id: int) -> ImportantDate:
    """An important date of a customer the user may see."""
    found = (
        ImportantDate.objects.filter(pk=date_id, customer__in=visible_customers(user))
        .select_related("customer")
        .first()
    )
    if found is None:
        raise CustomerError(CustomerErrorCode.NOT_FOUND)
    return found
