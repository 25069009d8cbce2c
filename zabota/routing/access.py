"""Who may see the workload and change whose availability."""

from django.db.models import Q, QuerySet

from zabota.accounts.models import Group, User
from zabota.routing.error_codes import RoutingError, RoutingErrorCode


def can_view_workload(actor: User) -> bool:
    return actor.is_active and (actor.is_admin or actor.is_lead)


def check_workload_access(actor: User) -> None:
    if not can_view_workload(actor):
        raise RoutingError(RoutingErrorCode.WORKLOAD_NOT_ALLOWED)


def workload_groups(actor: User) -> QuerySet[Group]:
    """The groups whose workload the actor sees: all for admins, the led ones for leads."""
    check_workload_access(actor)
    groups = Group.objects.select_related("store").order_by("store__name", "name")
    return groups if actor.is_admin else groups.filter(lead=actor)


def can_change_availability(actor: User, agent: User) -> bool:
    """Agents set their own; a lead sets that of their groups' members; admins anyone's."""
    if not actor.is_active:
        return False
    if actor.pk == agent.pk or actor.is_admin:
        return True
    return actor.is_lead and Group.objects.filter(lead=actor, members=agent).exists()


def access_agent_for_availability(actor: User, agent_id: int) -> User:
    agent = User.objects.filter(Q(pk=agent_id), is_active=True).first()
    if agent is None or not can_change_availability(actor, agent):
        raise RoutingError(RoutingErrorCode.AVAILABILITY_NOT_ALLOWED)
    return agent
