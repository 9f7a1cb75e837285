from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from core.models import Sequence


def sequence_next(*, name: str) -> int:
    """Next value of a named counter, safe under concurrency.

    The row is locked with SELECT ... FOR UPDATE, so concurrent callers queue on it;
    the first use creates the row, and a creation race is retried once.
    """
    # Usual case, one statement: the UPDATE takes the same row lock as SELECT ... FOR
    # UPDATE would (held until the caller's transaction ends) and returns the value.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_sequence SET last_value = last_value + 1 "
            "WHERE name = %s RETURNING last_value",
            [name],
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    for _attempt in range(2):
        try:
            with transaction.atomic():
                seq, _created = Sequence.objects.select_for_update().get_or_create(name=name)
                seq.last_value += 1
                seq.save(update_fields=["last_value"])
                return seq.last_value
        except IntegrityError:
            continue
    raise RuntimeError(f"could not allocate a number from sequence {name}")
