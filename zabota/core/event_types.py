"""Every event type the outbox carries. Payloads hold ids only, never model instances."""

TICKET_CREATED = "ticket.created"  # ticket_id, store_id, customer_id, actor_id
TICKET_UPDATED = "ticket.updated"  # ticket_id, fields changed (subject, customer)
MESSAGE_RECEIVED = "message.received"  # ticket_id, message_id: a customer wrote
MESSAGE_SENT = "message.sent"  # ticket_id, message_id: an agent replied to the customer
NOTE_ADDED = "note.added"  # ticket_id, message_id: internal note, never sent
TICKET_STATUS_CHANGED = "ticket.status_changed"  # ticket_id, old, new, actor_id, reason
TICKET_PRIORITY_CHANGED = "ticket.priority_changed"  # ticket_id, old, new, actor_id
TICKET_ASSIGNED = "ticket.assigned"  # ticket_id, assignee_id, group_id, actor_id
TICKET_TAGS_CHANGED = "ticket.tags_changed"  # ticket_id, added, removed, actor_id
TICKET_MERGED = "ticket.merged"  # ticket_id (merged away), into_ticket_id, actor_id
CUSTOMER_CREATED = "customer.created"  # customer_id
CUSTOMER_MERGED = "customer.merged"  # customer_id (merged away), into_customer_id, actor_id
# customer_id, store_id, added, removed (segment codes, commerce.constants.Segment)
CUSTOMER_SEGMENT_CHANGED = "customer.segment_changed"
ORDER_CREATED = "order.created"  # order_id, store_id, customer_id
ORDER_UPDATED = "order.updated"  # order_id, store_id, customer_id, changed (field names)
ORDER_CANCELLED = "order.cancelled"  # order_id, store_id, customer_id
ORDER_REFUNDED = "order.refunded"  # order_id, store_id, customer_id, refund_id, amount
SHIPMENT_UPDATED = "shipment.updated"  # shipment_id, order_id, store_id, customer_id, status
SLA_WARNING = "sla.warning"  # ticket_id, targets (names of the targets now in warning)
SLA_BREACHED = "sla.breached"  # ticket_id, targets (names of the targets now breached)
# response_id, survey_id, store_id, ticket_id (or None), scores {metric: value}, lowest (the
# lowest rating on a 1–5 scale, converted; None without ratings)
SURVEY_ANSWERED = "survey.answered"

EVENT_TYPES = frozenset(
    {
        TICKET_CREATED,
        TICKET_UPDATED,
        MESSAGE_RECEIVED,
        MESSAGE_SENT,
        NOTE_ADDED,
        TICKET_STATUS_CHANGED,
        TICKET_PRIORITY_CHANGED,
        TICKET_ASSIGNED,
        TICKET_TAGS_CHANGED,
        TICKET_MERGED,
        CUSTOMER_CREATED,
        CUSTOMER_MERGED,
        CUSTOMER_SEGMENT_CHANGED,
        ORDER_CREATED,
        ORDER_UPDATED,
        ORDER_CANCELLED,
        ORDER_REFUNDED,
        SHIPMENT_UPDATED,
        SLA_WARNING,
        SLA_BREACHED,
        SURVEY_ANSWERED,
    }
)
