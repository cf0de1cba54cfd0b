"""Forms of the operations pages. They check types and shapes only; the rules are the services', whose field errors
come back onto them."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.common.forms import DATE, Form
from core.operations.models import MAINTENANCE_INTERVAL_MAX_DAYS, EquipmentKind, SystemCode, TrainingKind
from tenants.models import User


class MemberChoiceForm(Form):
    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = members if members is not None else User.objects.none()
        for name, field in self.fields.items():
            if name in ("member", "attendees", "completed"):
                field.queryset = queryset
                field.label_from_instance = lambda user: user.display_name


class StaffRecordForm(MemberChoiceForm):
    member = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Member"))
    duty_start = forms.DateField(label=_("On duty since"), required=False, widget=DATE)
    background = forms.CharField(
        label=_("Professional background and experience"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QualificationForm(MemberChoiceForm):
    member = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Member"))
    name = forms.CharField(label=_("Qualification"), max_length=100)
    number = forms.CharField(label=_("Certificate number"), max_length=60, required=False)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)


class TrainingForm(MemberChoiceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1, min_value=Decimal("0.5"))
    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingKind.choices, widget=forms.RadioSelect)
    trainer = forms.CharField(label=_("Trainer"), max_length=120, required=False)
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label=_("Attendees"), widget=forms.CheckboxSelectMultiple
    )
    certificate = forms.FileField(
        label=_("Certificate (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class TrainingEditForm(TrainingForm):
    """A training's facts and attendance, corrected; `members` are the station's members and the attendees."""

    completed = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("Completed the training"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("An attendee not ticked here left early: a pre-duty training does not clear them for duty."),
    )
    certificate = forms.FileField(
        label=_("Replace the certificate (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    field_order = ["title", "held_on", "hours", "kind", "trainer", "attendees", "completed", "certificate"]


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class TrainingCancelForm(ReasonForm):
    pass


class QualificationEditForm(Form):
    name = forms.CharField(label=_("Qualification"), max_length=100)
    number = forms.CharField(label=_("Certificate number"), max_length=60, required=False)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)


class QualificationWithdrawForm(ReasonForm):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DATE)

    field_order = ["withdrawn_on", "reason"]


class EquipmentForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EquipmentKind.choices)
    name = forms.CharField(label=pgettext_lazy("equipment", "Name"), max_length=120)
    model_number = forms.CharField(label=_("Model"), max_length=120, required=False)
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    acquired_on = forms.DateField(label=_("Acquired on"), required=False, widget=DATE)
    maintenance_interval_days = forms.IntegerField(
        label=_("Maintenance interval (days)"), min_value=1, max_value=MAINTENANCE_INTERVAL_MAX_DAYS
    )
    next_maintenance_due = forms.DateField(
        label=_("First maintenance due (blank: one interval after acquisition)"), required=False, widget=DATE
    )


class EquipmentEditForm(EquipmentForm):
    next_maintenance_due = forms.DateField(
        label=_("Next maintenance due (left as it is: moved by a new interval)"), required=False, widget=DATE
    )


class EquipmentRetireForm(ReasonForm):
    retired_on = forms.DateField(label=_("Retired on"), widget=DATE)

    field_order = ["retired_on", "reason"]


class MaintenanceForm(Form):
    performed_on = forms.DateField(label=_("Date"), widget=DATE)
    work = forms.CharField(label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class SystemVersionForm(Form):
    effective_on = forms.DateField(label=_("Effective from"), widget=DATE)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    file = forms.FileField(
        label=_("File (PDF or Word DOCX)"), required=False, widget=forms.FileInput(attrs={"accept": ".pdf,.docx"})
    )


class DisplayForm(Form):
    process = forms.CharField(
        label=_("Service process"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 6})
    )
    notes = forms.CharField(
        label=_("Other notices"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


SYSTEM_CODES = SystemCode.values
