"""Permission-checked fetches. ``access_*_by_id`` is the only way to get an object for an actor.

Visibility:
- admin: every ticket;
- lead: tickets of groups they lead or belong to (unassigned ones included), tickets assigned
  to them, and tickets without a group in stores where they lead a group (triage);
- agent: tickets assigned to them, tickets of their groups that somebody has taken, and
  unassigned tickets of their groups where the group allows members to see them.
Objects an actor may not see are reported as missing (404), never as forbidden.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from zabota.accounts.models import Group, User
from zabota.tickets.error_codes import TicketError, TicketErrorCode
from zabota.tickets.models import Macro, Tag, Ticket


def _group_ids(user: User) -> tuple[list[int], list[tuple[int, bool]]]:
    """(ids of groups the user leads, ids of groups the user is a member of); cached per object."""
    cached = getattr(user, "_zabota_group_ids", None)
    if cached is None:
        led = list(Group.objects.filter(lead=user).values_list("pk", flat=True))
        member = list(
            Group.objects.filter(members=user).values_list("pk", "members_see_unassigned")
        )
        cached = (led, member)
        user._zabota_group_ids = cached  # type: ignore[attr-defined]
    led_ids, member_rows = cached
    return led_ids, member_rows


def visible_tickets_filter(user: User) -> Q | None:
    """A filter for tickets ``user`` may see; None means every ticket."""
    if user.is_admin:
        return None
    led, member_rows = _group_ids(user)
    member_all = [gid for gid, _see in member_rows]
    member_unassigned = [gid for gid, see in member_rows if see]
    q = Q(assignee=user)
    if member_all:
        q |= Q(group_id__in=member_all, assignee__isnull=False)
    if member_unassigned:
        q |= Q(group_id__in=member_unassigned, assignee__isnull=True)
    if led:
        q |= Q(group_id__in=led)
        if user.is_lead:
            q |= Q(group__isnull=True, store_id__in=_led_store_ids(user, led))
    return q


def _led_store_ids(user: User, led: list[int]) -> list[int]:
    """The stores of the groups the user leads; cached per object like ``_group_ids``."""
    cached = getattr(user, "_zabota_led_store_ids", None)
    if cached is None:
        cached = list(Group.objects.filter(pk__in=led).values_list("store_id", flat=True))
        user._zabota_led_store_ids = cached  # type: ignore[attr-defined]
    return cached


def visible_tickets(user: User) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    q = visible_tickets_filter(user)
    return qs if q is None else qs.filter(q)


def access_ticket_by_id(user: User, ticket_id: int) -> Ticket:
    """The ticket with its store, customer, assignee, group and SLA clock. ``merged_into`` is
    left to load on access: joining a second ticket row costs every request, and few tickets
    are merged."""
    ticket = (
        visible_tickets(user)
        .select_related("store", "customer", "assignee", "group", "sla")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return ticket


def access_ticket_by_number(user: User, store_id: int, number: int) -> Ticket:
    """A ticket by the number customers and agents quote ("#42"), within one store."""
    ticket = (
        visible_tickets(user)
        .select_related("store", "customer", "assignee", "group")
        .filter(store_id=store_id, number=number)
        .first()
    )
    if ticket is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return ticket


def access_tickets_by_ids(user: User, ticket_ids: list[int]) -> list[Ticket]:
    """The visible subset, for bulk actions (invisible ids are silently left out)."""
    return list(visible_tickets(user).filter(pk__in=ticket_ids).select_related("store"))


def store_ids_for(user: User) -> list[int] | None:
    """Stores whose tags, macros and groups the user works with; None means all."""
    if user.is_admin:
        return None
    led, member_rows = _group_ids(user)
    ids = [*led, *(gid for gid, _see in member_rows)]
    return list(Group.objects.filter(pk__in=ids).values_list("store_id", flat=True).distinct())


def visible_tags(user: User) -> QuerySet[Tag]:
    stores = store_ids_for(user)
    qs = Tag.objects.select_related("store")
    return qs if stores is None else qs.filter(store_id__in=stores)


def access_tag_by_id(user: User, tag_id: int) -> Tag:
    tag = visible_tags(user).filter(pk=tag_id).first()
    if tag is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return tag


def visible_macros(user: User) -> QuerySet[Macro]:
    stores = store_ids_for(user)
    qs = Macro.objects.filter(is_active=True)
    return qs if stores is None else qs.filter(Q(store__isnull=True) | Q(store_id__in=stores))


def access_macro_by_id(user: User, macro_id: int) -> Macro:
    macro = visible_macros(user).filter(pk=macro_id).first()
    if macro is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return macro


def visible_groups(user: User) -> QuerySet[Group]:
    stores = store_ids_for(user)
    qs = Group.objects.select_related("store")
    return qs if stores is None else qs.filter(store_id__in=stores)


def access_group_by_id(user: User, group_id: int) -> Group:
    group = visible_groups(user).filter(pk=group_id).first()
    if group is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return group


def assignable_agents(user: User, group: Group | None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True)
    if group is None:
        return qs.none() if not user.is_admin else qs
    return qs.filter(Q(support_groups=group) | Q(led_groups=group)).distinct()


def assignable_agents_by_group(groups: list[Group]) -> dict[int, list[User]]:
    """``assignable_agents(user, group)`` for several groups in one query: each group's active
    members and its lead (if active), by name. ``groups`` need their ``lead`` loaded."""
    agents: dict[int, dict[int, User]] = {group.pk: {} for group in groups}
    memberships = Group.members.through.objects.filter(
        group_id__in=list(agents), user__is_active=True
    ).select_related("user")
    for membership in memberships:
        agents[membership.group_id][membership.user_id] = membership.user
    for group in groups:
        if group.lead is not None and group.lead.is_active:
            agents[group.pk][group.lead.pk] = group.lead
    return {
        group_id: sorted(people.values(), key=lambda person: (person.name, person.pk))
        for group_id, people in agents.items()
    }


def access_agent_by_id(user: User, agent_id: int) -> User:
    stores = store_ids_for(user)
    qs = User.objects.filter(pk=agent_id, is_active=True)
    if stores is not None:
        qs = qs.filter(
            Q(support_groups__store_id__in=stores) | Q(led_groups__store_id__in=stores)
        ).distinct()
    agent = qs.first()
    if agent is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return agent


def is_in_group(user: User, group: Group) -> bool:
    return group.lead_id == user.pk or group.members.filter(pk=user.pk).exists()


def default_group_for(assignee: User, ticket: Ticket) -> Group | None:
    """Keep the ticket's group if the assignee is in it, else the assignee's first group there."""
    if ticket.group is not None and is_in_group(assignee, ticket.group):
        return ticket.group
    return (
        Group.objects.filter(store_id=ticket.store_id)
        .filter(Q(members=assignee) | Q(lead=assignee))
        .order_by("pk")
        .first()
    )


def can_assign(actor: User, *, assignee: User | None, group: Group | None) -> bool:
    """Agents take tickets themselves or pass them within their groups; leads and admins anywhere
    in their stores."""
    if actor.is_admin:
        return True
    led, member_rows = _group_ids(actor)
    mine = {*led, *(gid for gid, _see in member_rows)}
    if actor.is_lead:
        stores = store_ids_for(actor) or []
        return group is None or group.store_id in stores
    if group is None:
        return assignee is None or assignee.pk == actor.pk
    return group.pk in mine


def can_force_close(actor: User) -> bool:
    return actor.is_admin or actor.is_lead


def can_merge_customers(actor: User) -> bool:
    return actor.is_admin or actor.is_lead


def tickets_with_visible_customer(user: User) -> Exists:
    """Subquery: the customer has at least one ticket ``user`` may see."""
    return Exists(visible_tickets(user).filter(customer_id=OuterRef("pk")))
