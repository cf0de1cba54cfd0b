"""Gap-free numbers of a station's documents (clause 7.4): demands, service records, referral slips, archive files.

The table was the desk's (`desk_numbersequence`) before the desk, the referrals and the archive all took numbers from
it; the model moved here in its state only, so the table and its rows stay where they are."""

from django.db import models


class NumberSequence(models.Model):
    """The last number given out per kind and year. Taken under a row lock inside the creating transaction, so
    numbers are gap-free and never reused (a rolled-back transaction gives its number back)."""

    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "desk_numbersequence"
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="desk_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
