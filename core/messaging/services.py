"""Sending, delivering and applying messages between schemas: exactly once in effect.

- `message_send` writes the message to the active schema's outbox inside the caller's transaction (the sender's
  change and its message commit together) and queues its delivery once that transaction commits.
- `message_deliver` (a Celery task, retried until it succeeds) applies the message in the destination schema and then
  marks it delivered. It first delivers any earlier message of the same stream still pending, so a stream arrives in
  order.
- `message_apply` runs in the destination schema, in one transaction: it records the message's key in the inbox and
  calls the handler registered for its kind. A second delivery of the same key finds the key and does nothing; a
  message whose predecessor has not arrived is refused (`MessageOutOfOrder`) and retried later.
- `outbox_requeue_stale` (beat) queues again what is still undelivered after a while: a task lost with a killed
  worker, a broker restart, or a commit whose queueing never happened. It visits only the schemas `message_send`
  marked with outbox work (`OUTBOX_WORK`, ``tenants.work``), each until nothing is left undelivered there.

Handlers are registered per kind with `@message_handler("kind")` by the apps that receive messages (in their
`AppConfig.ready`). A handler gets the payload and the source schema's name, nothing else.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from core.messaging.models import InboxMessage, OutboxMessage
from tenants.tasks import queue, queue_after_commit
from tenants.work import station_work_mark

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
_HANDLERS: dict[str, Handler] = {}
# The outbox's kind of work in tenants.work: the schemas the requeue sweep visits.
OUTBOX_WORK = "messaging.outbox"


class MessageOutOfOrder(Exception):
    """The message's predecessor in its stream has not been applied yet."""


def message_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that applies messages of `kind` in the receiving schema: `handler(payload=, source=)`."""

    def register(handler: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not handler:
            raise RuntimeError(f"two handlers for message kind {kind!r}")
        _HANDLERS[kind] = handler
        return handler

    return register


def message_send(*, destination: str, kind: str, stream: str, payload: dict) -> OutboxMessage:
    """Put a message for schema `destination` into the active schema's outbox, in the caller's transaction, and queue
    its delivery after the commit. Messages of one `stream` are numbered in the order they are sent, and applied in
    that order."""
    from core.messaging.tasks import message_deliver_task

    if not connection.in_atomic_block:
        raise RuntimeError("a message is sent inside the transaction of the change it carries")
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for message kind {kind!r}")
    with connection.cursor() as cursor:
        # Concurrent senders on one stream queue here until the first commits: sequence numbers have no gaps.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"messaging:{stream}"])
    last = OutboxMessage.objects.filter(stream=stream).aggregate(last=Max("seq"))["last"] or 0
    message = OutboxMessage(destination=destination, kind=kind, stream=stream, seq=last + 1, payload=payload)
    message.full_clean()
    message.save()
    # The sweep looks here from the time the message may be stale, should its task be lost.
    station_work_mark(kind=OUTBOX_WORK, due_at=message.created_at + settings.MESSAGING_REQUEUE_AFTER)
    queue_after_commit(message_deliver_task, message_id=message.pk)
    return message


def message_deliver(*, message_id: int) -> int:
    """Deliver a message of the active schema's outbox, after any earlier message of its stream still pending.
    Returns how many messages this call delivered (0 when it had been delivered already). An error leaves the message
    pending, its error noted, and is raised for the task to retry."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.delivered_at is not None:
        return 0
    pending = OutboxMessage.objects.filter(
        stream=message.stream, seq__lte=message.seq, delivered_at__isnull=True
    ).order_by("seq")
    delivered = 0
    for item in pending:
        _deliver_one(item)
        delivered += 1
    return delivered


def _deliver_one(message: OutboxMessage) -> None:
    source = connection.schema_name
    OutboxMessage.objects.filter(pk=message.pk).update(attempted_at=timezone.now(), attempts=F("attempts") + 1)
    try:
        with schema_context(message.destination):
            message_apply(
                source=source,
                key=str(message.key),
                kind=message.kind,
                stream=message.stream,
                seq=message.seq,
                payload=message.payload,
            )
    except Exception as error:
        OutboxMessage.objects.filter(pk=message.pk).update(last_error=f"{type(error).__name__}: {error}"[:2000])
        raise
    # The acknowledgement: should the worker die before it, the next delivery finds the key in the inbox.
    OutboxMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
        delivered_at=timezone.now(), last_error=""
    )


@transaction.atomic
def message_apply(*, source: str, key: str, kind: str, stream: str, seq: int, payload: dict) -> bool:
    """Apply a message in the active schema, once: True if it was applied now, False if it had been already."""
    with connection.cursor() as cursor:
        # A concurrent delivery of the same key waits here until the first commits, then finds it. No conflict target:
        # with `ON CONFLICT (key)` the (source, stream, seq) index is no arbiter, and two deliveries that reach the
        # insert together end in a unique violation there instead of a wait.
        cursor.execute(
            "INSERT INTO messaging_inboxmessage (key, source, kind, stream, seq, applied_at) "
            "VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
            [key, source, kind, stream, seq],
        )
        if cursor.fetchone() is None:
            if InboxMessage.objects.filter(key=key).exists():
                return False
            raise IntegrityError(f"{stream} #{seq} from {source} was applied already, under another key than {key}")
    if seq > 1 and not InboxMessage.objects.filter(source=source, stream=stream, seq=seq - 1).exists():
        raise MessageOutOfOrder(f"{stream} #{seq} from {source} arrived before #{seq - 1}")
    _HANDLERS[kind](payload=payload, source=source)
    return True


def outbox_requeue_stale(*, older_than: datetime.timedelta = datetime.timedelta(minutes=1)) -> int:
    """Queue again, in the active schema, each stream with a message still undelivered `older_than` after it was sent
    and after its last attempt. One task per stream (for its last such message: the earlier ones go first). The sweep
    cannot tell a task lost with a killed worker from one still waiting behind a backlog, so each time it queues a
    message again it waits twice as long before the next time (up to 64 × `older_than`): a long backlog gets a few
    spare tasks, not one per sweep. Returns how many tasks were queued."""
    from core.messaging.tasks import message_deliver_task

    now = timezone.now()
    cutoff = now - older_than
    stale = (
        OutboxMessage.objects.filter(delivered_at__isnull=True, created_at__lt=cutoff)
        .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lt=cutoff))
        .values_list("pk", "stream", "attempted_at", "requeues")
    )
    last_per_stream: dict[str, int] = {}
    due: list[int] = []
    for pk, stream, attempted_at, requeues in stale:
        if attempted_at is None or attempted_at < now - older_than * 2 ** min(requeues, 6):
            last_per_stream[stream] = max(pk, last_per_stream.get(stream, 0))
            due.append(pk)
    if not last_per_stream:
        return 0
    # Mark every message the queued tasks will deliver attempted (a stream's earlier ones too), so the next sweep
    # leaves them to this one.
    OutboxMessage.objects.filter(pk__in=due).update(attempted_at=now, requeues=F("requeues") + 1)
    for message_id in last_per_stream.values():
        queue(message_deliver_task, connection.schema_name, {"message_id": message_id})
    logger.info("re-queued %d stale message stream(s) in %s", len(last_per_stream), connection.schema_name)
    return len(last_per_stream)


def outbox_deliver_pending() -> int:
    """Deliver, in this process, every message pending in the active schema's outbox, stream by stream (an operator's
    `manage.py deliver_messages`, and tests). Returns how many were delivered."""
    delivered = 0
    streams = (
        OutboxMessage.objects.filter(delivered_at__isnull=True)
        .values("stream")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    for message_id in list(streams):
        delivered += message_deliver(message_id=message_id)
    return delivered
