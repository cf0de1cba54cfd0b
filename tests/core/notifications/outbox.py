"""What the notifications sent: the deliveries a test's captured callbacks queued, sent as the worker would, and the
SMS the file backend wrote."""

from core.common.sms import FileBackend
from tests.tasks import run_queued


def sent(callbacks) -> list:
    """Send the deliveries the captured callbacks queued (each in its schema); their results."""
    return run_queued(callbacks, app="core.deliveries")


def sms_texts(phone: str) -> list[str]:
    """The texts of the SMS written to `phone` by the file backend, oldest first."""
    return [path.read_text(encoding="utf-8").split("\n\n", 1)[1] for path in FileBackend().messages_to(phone)]
