"""Conversation plans: who says what, when, to one ticket — decided before any row exists.

A plan follows a ticket's whole life (opening, triage, question, answer, solution, confirmation,
archiving) with believable delays — agents work 8:00–20:00 store time, customers write at any
hour — and is then cut at "now". The status every ticket ends up in therefore follows from its
age, as in a real inbox: old tickets are closed, today's are new or open.

Two executors read plans: :mod:`zabota.demo.build` through the real ticket actions, and
:mod:`zabota.demo.bulk` as rows for ``bulk_create``.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from zabota.demo.conversations import (
    NUDGES,
    SCENARIOS,
    Facts,
    Scenario,
    agent_text,
    customer_text,
    fill,
)
from zabota.demo.data import (
    GROUPS_BY_KEY,
    MACROS_BY_KEY,
    RETURNS,
    STORE_TIME_ZONE,
    TEAM_BY_KEY,
    VIP,
)
from zabota.demo.names import Person
from zabota.tickets.constants import Channel, Priority, Status

STORE_TZ = ZoneInfo(STORE_TIME_ZONE)
# The store's confirmation timeout (Store.confirmation_timeout's default).
CONFIRMATION_TIMEOUT = timedelta(days=3)
HISTORY_DAYS = 60
RECENT_SHARE = 0.25

# How customers reach the store, most common first.
CHANNEL_WEIGHTS: tuple[tuple[str, int], ...] = (
    (Channel.EMAIL, 52),
    (Channel.CHAT, 20),
    (Channel.WEB, 11),
    (Channel.SOCIAL, 6),
    (Channel.PHONE, 5),
    (Channel.CALLBACK, 4),
    (Channel.API, 2),
)

# Hour of day (store time) a customer writes: quiet nights, a late-morning and an evening peak.
CUSTOMER_HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 7, 7, 7, 7, 7, 8, 9, 9, 7, 4, 2,
)  # fmt: skip


class StepKind(StrEnum):
    CUSTOMER = "customer"  # the customer writes (a reply, a chaser)
    REPLY = "reply"  # an agent replies to the customer
    NOTE = "note"  # an internal note
    ASSIGN = "assign"  # an agent takes the ticket, or a lead hands it out
    TAGS = "tags"  # tags added
    PRIORITY = "priority"  # priority raised
    CONFIRM = "confirm"  # the customer accepts the solution (link) or the timeout does
    CLOSE = "close"  # an agent archives the solved ticket
    DUPLICATE = "duplicate"  # the customer opens a second ticket about the same thing
    MERGE = "merge"  # an agent merges that duplicate into this ticket


@dataclass(frozen=True)
class Step:
    kind: StepKind
    at: datetime
    actor: str = ""  # team member key; empty for the customer and the system
    text: str = ""
    macro: str = ""  # the reply is this macro rendered for the ticket
    then_status: str = ""
    tags: tuple[str, ...] = ()
    group: str = ""
    assignee: str = ""
    priority: int = 0
    via: str = ""
    channel: str = ""


@dataclass(frozen=True)
class DemoCustomer:
    person: Person
    vip: bool = False


@dataclass
class TicketPlan:
    customer: int  # index into the executor's list of customers
    person: Person
    scenario: str
    language: str
    channel: str
    subject: str
    body: str
    priority: int
    created_at: datetime
    facts: Facts
    group: str = ""  # empty: the store's default group
    outbound_agent: str = ""  # the agent who wrote first (proactive notices)
    steps: list[Step] = field(default_factory=list)

    @property
    def last_at(self) -> datetime:
        return self.steps[-1].at if self.steps else self.created_at

    def customer_says(self, template: str, channel: str = "") -> str:
        return customer_text(
            template,
            language=self.language,
            channel=channel or self.channel,
            gender=self.person.gender,
            signature=self.person.display_name,
            facts=self.facts,
        )

    def agent_says(self, template: str, member: str) -> str:
        m = TEAM_BY_KEY[member]
        return agent_text(
            template,
            language=self.language,
            channel=self.channel,
            gender=m.gender,
            customer_first_name=self.person.first_name,
            agent_first_name=m.first_name,
            facts=self.facts,
        )

    def agent_notes(self, template: str, member: str) -> str:
        gender = TEAM_BY_KEY[member].gender
        return fill(template, language=self.language, gender=gender, facts=self.facts)


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _w in pairs], weights=[w for _k, w in pairs])[0]


def pick_scenario(rng: random.Random) -> Scenario:
    return rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]


def random_start(rng: random.Random, now: datetime) -> datetime:
    """When a ticket was opened: within the last HISTORY_DAYS, more of them recently (the store
    is growing), at the hours customers write."""
    # A quarter arrived in the last three days: that is the work in progress an inbox shows.
    span = 3 if rng.random() < RECENT_SHARE else HISTORY_DAYS
    age_days = span * rng.random() ** 1.2
    day = (now - timedelta(days=age_days)).astimezone(STORE_TZ).date()
    hour = rng.choices(range(24), weights=CUSTOMER_HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)), STORE_TZ)
    start = local.astimezone(now.tzinfo)
    if start >= now:
        start = now - timedelta(minutes=rng.randint(5, 180))
    return start


def _lognormal_minutes(rng: random.Random, median: float, sigma: float, cap: float) -> timedelta:
    return timedelta(minutes=min(cap, rng.lognormvariate(math.log(median), sigma)))


def agent_time(rng: random.Random, after: datetime, *, median_minutes: float = 150) -> datetime:
    """When an agent gets to it: a delay, then the next moment within working hours."""
    t = after + _lognormal_minutes(rng, median_minutes, 1.0, 36 * 60)
    local = t.astimezone(STORE_TZ)
    if local.hour < 8:
        local = local.replace(hour=8, minute=rng.randint(0, 50))
    elif local.hour >= 20:
        next_day = local.date() + timedelta(days=1)
        local = datetime.combine(next_day, time(8, rng.randint(0, 50)), STORE_TZ)
    return max(local.astimezone(after.tzinfo), after + timedelta(minutes=2))


def soon(rng: random.Random, after: datetime) -> datetime:
    """The same sitting: seconds to a few minutes later."""
    return after + timedelta(seconds=rng.randint(20, 400))


def customer_time(rng: random.Random, after: datetime, *, median_minutes: float = 240) -> datetime:
    """When the customer answers: any hour, but a night-time answer usually waits till morning."""
    t = after + _lognormal_minutes(rng, median_minutes, 1.2, 5 * 24 * 60)
    local = t.astimezone(STORE_TZ)
    if local.hour < 7 and rng.random() < 0.8:
        local = local.replace(hour=rng.randint(7, 9), minute=rng.randint(0, 59))
    return max(local.astimezone(after.tzinfo), after + timedelta(minutes=1))


def pick_agent(rng: random.Random, group_key: str, language: str) -> str:
    """A member of the group who speaks the customer's language (the lead if nobody does)."""
    group = GROUPS_BY_KEY[group_key]
    speakers = [k for k in group.members if language in TEAM_BY_KEY[k].languages]
    if speakers:
        return rng.choice(speakers)
    return group.lead


class Planner:
    """Makes ticket plans for one dataset. ``lean`` plans (bulk) keep to 2–4 messages: no
    chasers, no duplicates, fewer notes."""

    def __init__(self, rng: random.Random, *, now: datetime, lean: bool = False) -> None:
        self.rng = rng
        self.now = now
        self.lean = lean

    def plan(
        self,
        *,
        customer_index: int,
        customer: DemoCustomer,
        scenario: Scenario,
        start: datetime,
        facts: Facts,
        duplicate: bool = False,
    ) -> TicketPlan:
        """The conversation of one ticket opened at ``start``; ``facts`` come from the order it
        is about (``zabota.demo.orders.Story``)."""
        rng = self.rng
        person = customer.person
        language = person.language
        lines = scenario.lines[language]
        channel = Channel.EMAIL if scenario.outbound else weighted(rng, CHANNEL_WEIGHTS)
        created = start
        team = VIP if customer.vip else scenario.team
        agent = pick_agent(rng, team, language)
        lead = GROUPS_BY_KEY[team].lead
        priority = rng.choice(scenario.priorities)
        if customer.vip and priority < Priority.HIGH:
            priority = Priority.HIGH
        # Routing rules put a share of returns straight into the returns group.
        group = RETURNS if team == RETURNS and rng.random() < 0.5 else ""
        plan = TicketPlan(
            customer=customer_index,
            person=person,
            scenario=scenario.key,
            language=language,
            channel=channel,
            subject=fill(
                rng.choice(lines.subjects), language=language, gender=person.gender, facts=facts
            ),
            body="",
            priority=priority,
            created_at=created,
            facts=facts,
            group=team if scenario.outbound else group,
            outbound_agent=agent if scenario.outbound else "",
        )
        opening = rng.choice(lines.openings)
        plan.body = (
            plan.agent_says(opening, agent) if scenario.outbound else plan.customer_says(opening)
        )
        steps = plan.steps
        tags = tuple(dict.fromkeys([*scenario.tags, *(["vip"] if customer.vip else [])]))
        t = created

        if scenario.outbound:
            # The agent wrote first and owns the ticket; the customer answers, the agent follows up.
            t = customer_time(rng, t)
            steps.append(Step(StepKind.CUSTOMER, t, text=plan.customer_says(lines.answer)))
            t = agent_time(rng, t, median_minutes=24 * 60)
            steps.append(
                Step(
                    StepKind.REPLY,
                    t,
                    actor=agent,
                    text=plan.agent_says(lines.solution, agent),
                    then_status=Status.AWAITING_CONFIRMATION,
                )
            )
            if tags:
                steps.append(Step(StepKind.TAGS, soon(rng, t), actor=agent, tags=tags))
            self._confirm_and_close(plan, agent)
            return self._cut(plan)

        if duplicate and not self.lean:
            other = rng.choice(
                [c for c in (Channel.CHAT, Channel.WEB, Channel.EMAIL) if c != channel]
            )
            t = customer_time(rng, t, median_minutes=90)
            chaser = plan.customer_says(rng.choice(NUDGES[language]), channel=other)
            steps.append(Step(StepKind.DUPLICATE, t, channel=other, text=chaser))

        # Triage. A quarter of the tickets wait in a backlog; some customers chase meanwhile.
        backlog = rng.random() < 0.25
        first_touch = agent_time(rng, created, median_minutes=900 if backlog else 120)
        if not self.lean and first_touch - t > timedelta(hours=18) and rng.random() < 0.7:
            chased = customer_time(rng, t, median_minutes=12 * 60)
            if chased < first_touch:
                t = chased
                steps.append(
                    Step(
                        StepKind.CUSTOMER, t, text=plan.customer_says(rng.choice(NUDGES[language]))
                    )
                )
        t = max(first_touch, t + timedelta(minutes=5))
        assigner = agent if rng.random() < 0.6 else lead
        steps.append(Step(StepKind.ASSIGN, t, actor=assigner, group=team, assignee=agent))
        if duplicate and not self.lean:
            t = soon(rng, t)
            steps.append(Step(StepKind.MERGE, t, actor=agent))
        if tags:
            t = soon(rng, t)
            steps.append(Step(StepKind.TAGS, t, actor=agent, tags=tags))
        if "threat" in scenario.tags and priority < Priority.URGENT:
            t = soon(rng, t)
            steps.append(Step(StepKind.PRIORITY, t, actor=lead, priority=Priority.URGENT))

        asks = bool(lines.question or scenario.question_macro)
        if asks:
            t = soon(rng, t)
            t = self._reply(plan, agent, t, lines.question, scenario.question_macro, Status.PENDING)
            # Some customers never come back: the ticket stays pending.
            if rng.random() < 0.06:
                return self._cut(plan)
            t = customer_time(rng, t)
            steps.append(Step(StepKind.CUSTOMER, t, text=plan.customer_says(lines.answer)))
            t = agent_time(rng, t)
        # Lean plans have room for a note only when the agent did not need to ask first.
        if lines.note and not (self.lean and asks) and rng.random() < 0.5:
            steps.append(
                Step(StepKind.NOTE, t, actor=agent, text=plan.agent_notes(lines.note, agent))
            )
            t = soon(rng, t)
        macro = scenario.solution_macro
        then = (MACROS_BY_KEY[macro].set_status if macro else "") or Status.AWAITING_CONFIRMATION
        self._reply(plan, agent, t, lines.solution, macro, then)
        self._confirm_and_close(plan, agent)
        return self._cut(plan)

    def _reply(
        self, plan: TicketPlan, agent: str, at: datetime, text: str, macro: str, then_status: str
    ) -> datetime:
        """An agent's reply in own words or by macro (the macro's tags follow a second later)."""
        if not macro:
            plan.steps.append(
                Step(
                    StepKind.REPLY,
                    at,
                    actor=agent,
                    text=plan.agent_says(text, agent),
                    then_status=then_status,
                )
            )
            return at
        plan.steps.append(
            Step(StepKind.REPLY, at, actor=agent, macro=macro, then_status=then_status)
        )
        add = MACROS_BY_KEY[macro].add_tags
        if add:
            at = at + timedelta(seconds=1)
            plan.steps.append(Step(StepKind.TAGS, at, actor=agent, tags=add))
        return at

    def _confirm_and_close(self, plan: TicketPlan, agent: str) -> None:
        """After the proposed solution: the customer confirms by link, or the timeout does; a
        few days later the agent archives the ticket."""
        rng, steps = self.rng, plan.steps
        proposed_at = plan.last_at
        if rng.random() < 0.55:
            at = customer_time(rng, proposed_at, median_minutes=300)
            steps.append(Step(StepKind.CONFIRM, at, via="link"))
        else:
            at = proposed_at + CONFIRMATION_TIMEOUT + timedelta(minutes=rng.randint(1, 59))
            steps.append(Step(StepKind.CONFIRM, at, via="timeout"))
        close_at = agent_time(rng, at + timedelta(days=rng.uniform(1, 6)))
        steps.append(Step(StepKind.CLOSE, close_at, actor=agent))

    def _cut(self, plan: TicketPlan) -> TicketPlan:
        """Keep what has happened by now; lean plans get at least two messages."""
        plan.steps = [s for s in plan.steps if s.at <= self.now]
        has_second_message = any(
            s.kind in (StepKind.CUSTOMER, StepKind.REPLY, StepKind.NOTE) for s in plan.steps
        )
        if self.lean and not has_second_message:
            at = plan.created_at + (self.now - plan.created_at) / 2
            chaser = plan.customer_says(self.rng.choice(NUDGES[plan.language]))
            plan.steps.append(Step(StepKind.CUSTOMER, at, text=chaser))
            plan.steps.sort(key=lambda s: s.at)
        return plan
