"""How a failed message is classified: wait for a dependency, or park it with a reason."""

from aiokafka.errors import KafkaError
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, WaitQueueTimeoutError


class PermanentError(Exception):
    """The message can never succeed as it is (for example an impossible state transition).

    Use cases raise it so the consumer dead-letters the message with this reason and moves on.
    """


def is_transient(error: BaseException) -> bool:
    """A dependency (database, broker, network) is briefly unavailable: retry, never park."""
    if isinstance(error, KafkaError):
        return bool(getattr(error, "retriable", False)) or "Connection" in type(error).__name__
    return isinstance(
        error, ConnectionFailure | WaitQueueTimeoutError | ConnectionError | TimeoutError
    )


def is_permanent(error: BaseException) -> bool:
    """Retrying cannot help: bad bytes, a schema violation, or a rule the message breaks."""
    return isinstance(error, PermanentError | ValidationError | UnicodeDecodeError)


def reason_of(error: BaseException) -> str:
    """What went wrong, for the dead-letter header: never the message's content.

    Pydantic's own text quotes the offending input (an address, a name), so a validation error is
    reported as the failing fields and rules only.
    """
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or '<message>'}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        return f"{type(error).__name__}: {error.title}: {problems}"
    return f"{type(error).__name__}: {error}"
