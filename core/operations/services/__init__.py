"""Writes of station operations (clauses 4.2.2, 4.3, 4.4, 4.5), in the active station's schema. Views, the API and
tasks call these; nothing else writes.

- The staff register (4.4): the head keeps each member's entry (duty start, background, qualifications) and records
  trainings with who attended. A member is cleared for duty by a completed pre-duty training
  (`selectors.member_is_cleared_for_duty`); the desk assigns cases only to cleared members.
- The equipment register (4.3): each item is maintained every so many days; a maintenance log computes the next due
  date; beat reminds the head of what is due soon, once per due date (`maintenance_remind`).
- The written systems (4.5 a-h): the head publishes versions; versions are never changed; the current one is the
  newest in effect.
- The display (4.2.2): the service process in words, next to the station's facts and phones.
- Corrections and retirements: the head corrects a qualification, a training (and its attendance) or an item of
  equipment, withdraws a qualification, cancels a training, retires an item. Nothing is deleted: a withdrawn
  qualification, a cancelled training and a retired item stay in the register, shown as such with their date and
  reason, and no longer count (valid qualification, clearance for duty, maintenance reminders). Each change is written
  to the station's activity log. A change that would take a member's clearance for duty away while they hold open
  cases is refused, naming how many: the head reassigns the cases first.

Only the station head writes, except maintenance logs, which any member of the station records.

One module per register: `staff` (members, qualifications, trainings), `equipment` (items, maintenance, reminders),
`systems` (the written systems), `display` (the public board), and `_common`, the helpers they share. Callers import
from here: `from core.operations import services`.
"""

from core.operations.services.display import display_notice_save
from core.operations.services.equipment import (
    equipment_create,
    equipment_retire,
    equipment_update,
    maintenance_log_add,
    maintenance_mail,
    maintenance_remind,
)
from core.operations.services.staff import (
    CERTIFICATE_KINDS,
    staff_qualification_add,
    staff_qualification_expiry_remind,
    staff_qualification_update,
    staff_qualification_withdraw,
    staff_record_save,
    training_attendance_set,
    training_cancel,
    training_create,
    training_update,
)
from core.operations.services.systems import SYSTEM_FILE_KINDS, system_version_publish

__all__ = [
    "CERTIFICATE_KINDS",
    "SYSTEM_FILE_KINDS",
    "display_notice_save",
    "equipment_create",
    "equipment_retire",
    "equipment_update",
    "maintenance_log_add",
    "maintenance_mail",
    "maintenance_remind",
    "staff_qualification_add",
    "staff_qualification_expiry_remind",
    "staff_qualification_update",
    "staff_qualification_withdraw",
    "staff_record_save",
    "system_version_publish",
    "training_attendance_set",
    "training_cancel",
    "training_create",
    "training_update",
]
