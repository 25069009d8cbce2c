"""Who may see the workload, change whose availability, a group's routing, an agent's routing
profile (capacity, languages) and a customer's personal managers."""

from django.db.models import Q, QuerySet

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
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


def can_change_routing(actor: User, group: Group) -> bool:
    """A group's strategy: its lead or an admin."""
    return actor.is_active and (actor.is_admin or (actor.is_lead and group.lead_id == actor.pk))


def access_group_for_routing(actor: User, group_id: int) -> Group:
    group = Group.objects.filter(pk=group_id).select_related("store").first()
    if group is None or not can_change_routing(actor, group):
        raise RoutingError(RoutingErrorCode.ROUTING_NOT_ALLOWED)
    return group


def can_edit_agent_profile(actor: User, agent: User) -> bool:
    """Capacity and languages: admins anyone's, a lead those of their groups' members."""
    if not actor.is_active:
        return False
    if actor.is_admin:
        return True
    return actor.is_lead and Group.objects.filter(lead=actor, members=agent).exists()


def access_agent_for_profile(actor: User, agent_id: int) -> User:
    agent = User.objects.filter(pk=agent_id, is_active=True).first()
    if agent is None or not can_edit_agent_profile(actor, agent):
        raise RoutingError(RoutingErrorCode.PROFILE_NOT_ALLOWED)
    return agent


def can_set_manager(actor: User, store: Store) -> bool:
    """Personal managers of a store: admins, and leads of one of the store's groups."""
    if not actor.is_active:
        return False
    if actor.is_admin:
        return True
    return actor.is_lead and Group.objects.filter(lead=actor, store=store).exists()


def store_staff(store: Store) -> QuerySet[User]:
    """The people who may be a personal manager in the store: its groups' leads and members."""
    groups = Group.objects.filter(store=store)
    return (
        User.objects.filter(is_active=True)
        .filter(Q(led_groups__in=groups) | Q(support_groups__in=groups))
        .distinct()
        .order_by("name", "pk")
    )
