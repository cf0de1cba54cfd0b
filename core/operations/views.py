"""Operations pages of a station host, under /operations/ (clauses 4.2.2, 4.3, 4.4, 4.5). Members read everything;
the head writes, except maintenance logs, which every member records. Files are served only here, to members."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.common.forms import errors_onto, form_call
from core.operations import selectors, services
from core.operations.forms import (
    DisplayForm,
    EquipmentEditForm,
    EquipmentForm,
    EquipmentRetireForm,
    MaintenanceForm,
    QualificationEditForm,
    QualificationForm,
    QualificationWithdrawForm,
    StaffRecordForm,
    SystemVersionForm,
    TrainingCancelForm,
    TrainingEditForm,
    TrainingForm,
)
from core.uploads.checks import KINDS
from tenants.models import MemberRole, User
from tenants.pages import StationPage
from tenants.selectors import station_members


def file_response(field, name: str, kind: str) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=name, content_type=KINDS[kind].content_type)


class OperationsPage(StationPage):
    """Members read; `write_roles` post (the head, unless a page says otherwise)."""

    write_roles: tuple[str, ...] = (MemberRole.HEAD,)

    def members(self):
        return station_members(station=self.station)

    def submitted(self, form, call, success: str):
        """Run the service with the form's data; on success redirect, otherwise the page again with the errors (400)."""
        if form.is_valid() and form_call(self.request, form, lambda: call(form.cleaned_data), success=success):
            return redirect(self.request.path)
        return None


class StaffRegisterPage(OperationsPage):
    """The staff register (clause 4.4): every member with their role (the head designated, 4.4.2), duty start,
    qualifications and whether a pre-duty training clears them for duty; the trainings and who attended."""

    template_name = "operations/staff.html"

    def get_context_data(self, forms=None, **kwargs):
        members = self.members()
        forms = forms or {}
        if self.is_head:
            forms.setdefault("record", StaffRecordForm(members=members, prefix="record"))
            forms.setdefault("qualification", QualificationForm(members=members, prefix="qualification"))
            forms.setdefault("training", TrainingForm(members=members, prefix="training"))
        return super().get_context_data(
            **kwargs,
            register=selectors.staff_register(station=self.station),
            trainings=selectors.training_list(),
            forms=forms,
            is_head=self.is_head,
        )

    # action: (form, service, what to say once done); the forms' fields are the services' arguments.
    ACTIONS = {
        "record": (StaffRecordForm, services.staff_record_save, gettext_lazy("The register entry is saved.")),
        "qualification": (
            QualificationForm,
            services.staff_qualification_add,
            gettext_lazy("The qualification is recorded."),
        ),
        "training": (TrainingForm, services.training_create, gettext_lazy("The training is recorded.")),
    }

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.ACTIONS:
            raise Http404
        form_class, service, done = self.ACTIONS[action]
        form = form_class(request.POST, request.FILES, members=self.members(), prefix=action)
        response = self.submitted(form, lambda data: service(user=request.user, **data), str(done))
        if response is not None:
            return response
        return self.render_to_response(self.get_context_data(forms={action: form}), status=400)


class RecordEditPage(OperationsPage):
    """The head's page to correct one record (action "edit") or retire it (the other action): both forms pre-filled,
    a refused one shown again with what was typed and the services' errors on its fields (400). Only the head reads
    it; a record of another station does not exist here (404)."""

    station_roles = (MemberRole.HEAD,)
    form_classes: dict = {}
    done: dict = {}

    def get_object(self):
        raise NotImplementedError

    def initial(self, action: str, obj) -> dict:
        return {}

    def form_kwargs(self, obj) -> dict:
        return {}

    def call(self, action: str, obj, data: dict):
        raise NotImplementedError

    def success_url(self, obj) -> str:
        return self.request.path

    def make_form(self, action: str, obj, data=None, files=None):
        return self.form_classes[action](
            data, files, prefix=action, initial=self.initial(action, obj), **self.form_kwargs(obj)
        )

    def get_context_data(self, forms=None, **kwargs):
        obj = self.object
        forms = dict(forms or {})
        for action in self.form_classes:
            forms.setdefault(action, self.make_form(action, obj))
        return super().get_context_data(**kwargs, item=obj, forms=forms)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = obj = self.get_object()
        action = request.POST.get("action")
        if action not in self.form_classes:
            raise Http404
        form = self.make_form(action, obj, request.POST, request.FILES)
        if form.is_valid():
            try:
                self.call(action, obj, form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, str(self.done[action]))
                return redirect(self.success_url(obj))
        return self.render_to_response(self.get_context_data(forms={action: form}), status=400)


class QualificationEditPage(RecordEditPage):
    """Correct a qualification, or withdraw it (expired, revoked): kept, shown as withdrawn."""

    template_name = "operations/qualification_edit.html"
    form_classes = {"edit": QualificationEditForm, "withdraw": QualificationWithdrawForm}
    done = {
        "edit": gettext_lazy("The qualification is corrected."),
        "withdraw": gettext_lazy("The qualification is withdrawn."),
    }

    def get_object(self):
        qualification = selectors.qualification_get(pk=self.kwargs["pk"])
        if qualification is None:
            raise Http404
        return qualification

    def initial(self, action, obj):
        if action == "edit":
            return {"name": obj.name, "number": obj.number, "valid_until": obj.valid_until}
        return {"withdrawn_on": timezone.localdate()}

    def call(self, action, obj, data):
        if action == "edit":
            return services.staff_qualification_update(user=self.request.user, qualification=obj, **data)
        return services.staff_qualification_withdraw(user=self.request.user, qualification=obj, **data)

    def success_url(self, obj):
        return reverse("operations:staff")


class TrainingEditPage(RecordEditPage):
    """Correct a training's facts and attendance, or cancel it: kept, shown as cancelled, clearing nobody."""

    template_name = "operations/training_edit.html"
    form_classes = {"edit": TrainingEditForm, "cancel": TrainingCancelForm}
    done = {"edit": gettext_lazy("The training is corrected."), "cancel": gettext_lazy("The training is cancelled.")}

    def get_object(self):
        training = selectors.training_get(pk=self.kwargs["pk"])
        if training is None:
            raise Http404
        return training

    def form_kwargs(self, obj):
        # The station's members, and attendees who have left it since (kept on the training as they were).
        attended = [a.user_id for a in obj.attendance.all()]
        members = User.objects.filter(
            Q(memberships__station=self.station, memberships__is_active=True) | Q(pk__in=attended)
        ).distinct()
        return {"members": members.order_by("username")}

    def make_form(self, action, obj, data=None, files=None):
        if action != "edit":
            return self.form_classes[action](data, prefix=action)
        return super().make_form(action, obj, data, files)

    def initial(self, action, obj):
        if action != "edit":
            return {}
        attendance = list(obj.attendance.all())
        return {
            "title": obj.title,
            "held_on": obj.held_on,
            "hours": obj.hours,
            "kind": obj.kind,
            "trainer": obj.trainer,
            "attendees": [a.user_id for a in attendance],
            "completed": [a.user_id for a in attendance if a.completed],
        }

    def call(self, action, obj, data):
        if action == "edit":
            return services.training_update(user=self.request.user, training=obj, **data)
        return services.training_cancel(user=self.request.user, training=obj, **data)

    def success_url(self, obj):
        return reverse("operations:staff") + "#trainings"


class TrainingCertificateView(OperationsPage):
    def get(self, request, *args, **kwargs):
        training = selectors.training_get(pk=self.kwargs["pk"])
        if training is None:
            raise Http404
        return file_response(training.certificate, training.certificate_name, training.certificate_kind or "pdf")


class EquipmentPage(OperationsPage):
    """The equipment register (clause 4.3), overdue maintenance flagged; the head adds items."""

    template_name = "operations/equipment.html"

    def get_context_data(self, form=None, **kwargs):
        items = list(selectors.equipment_list(retired=None))
        return super().get_context_data(
            **kwargs,
            equipment=[e for e in items if not e.retired],
            retired=sorted((e for e in items if e.retired), key=lambda e: (e.retired_on, e.pk), reverse=True),
            form=form or (EquipmentForm() if self.is_head else None),
            is_head=self.is_head,
            today=timezone.localdate(),
        )

    def post(self, request, *args, **kwargs):
        form = EquipmentForm(request.POST)
        response = self.submitted(
            form,
            lambda data: services.equipment_create(user=request.user, **data),
            _("The equipment is added to the register."),
        )
        return response or self.render_to_response(self.get_context_data(form=form), status=400)


class EquipmentDetailPage(OperationsPage):
    """One item with its maintenance logs; every member records a maintenance (clause 4.3.5)."""

    template_name = "operations/equipment_detail.html"
    write_roles = (MemberRole.HEAD, MemberRole.STAFF)

    def equipment(self):
        equipment = selectors.equipment_get(pk=self.kwargs["pk"])
        if equipment is None:
            raise Http404
        return equipment

    def get_context_data(self, form=None, **kwargs):
        equipment = self.equipment()
        return super().get_context_data(
            **kwargs,
            item=equipment,
            logs=equipment.logs.all(),
            form=form
            or (None if equipment.retired else MaintenanceForm(initial={"performed_on": timezone.localdate()})),
            overdue=not equipment.retired and equipment.next_maintenance_due < timezone.localdate(),
            is_head=self.is_head,
        )

    def post(self, request, *args, **kwargs):
        equipment = self.equipment()
        form = MaintenanceForm(request.POST)
        response = self.submitted(
            form,
            lambda data: services.maintenance_log_add(equipment=equipment, user=request.user, **data),
            _("The maintenance is recorded."),
        )
        return response or self.render_to_response(self.get_context_data(form=form), status=400)


class EquipmentEditPage(RecordEditPage):
    """Correct an item of the register, or retire it (decommissioned): kept with its logs, no longer reminded of."""

    template_name = "operations/equipment_edit.html"
    form_classes = {"edit": EquipmentEditForm, "retire": EquipmentRetireForm}
    done = {
        "edit": gettext_lazy("The equipment is corrected."),
        "retire": gettext_lazy("The equipment is retired from the register."),
    }

    def get_object(self):
        equipment = selectors.equipment_get(pk=self.kwargs["pk"])
        if equipment is None:
            raise Http404
        return equipment

    def initial(self, action, obj):
        if action == "edit":
            fields = ("kind", "name", "model_number", "location", "acquired_on", "maintenance_interval_days")
            return {f: getattr(obj, f) for f in (*fields, "next_maintenance_due")}
        return {"retired_on": timezone.localdate()}

    def call(self, action, obj, data):
        if action == "edit":
            return services.equipment_update(user=self.request.user, equipment=obj, **data)
        return services.equipment_retire(user=self.request.user, equipment=obj, **data)

    def success_url(self, obj):
        return reverse("operations:equipment_detail", kwargs={"pk": obj.pk})


class SystemListPage(OperationsPage):
    """The eight written systems of clause 4.5, each with its current version."""

    template_name = "operations/systems.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, systems=selectors.system_list())


class SystemPage(OperationsPage):
    """One written system: its current version, the earlier ones, and (the head) a new version."""

    template_name = "operations/system.html"

    def system(self):
        system = selectors.system_get(code=self.kwargs["code"])
        if system is None:
            raise Http404
        return system

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            **kwargs,
            system=self.system(),
            form=form or (SystemVersionForm(initial={"effective_on": timezone.localdate()}) if self.is_head else None),
        )

    def post(self, request, *args, **kwargs):
        system = self.system()
        form = SystemVersionForm(request.POST, request.FILES)
        response = self.submitted(
            form,
            lambda data: services.system_version_publish(user=request.user, code=system.code, **data),
            _("The new version is published."),
        )
        return response or self.render_to_response(self.get_context_data(form=form), status=400)


class SystemVersionFileView(OperationsPage):
    def get(self, request, *args, **kwargs):
        version = selectors.version_get(pk=self.kwargs["pk"])
        if version is None:
            raise Http404
        return file_response(version.file, version.file_name, version.file_kind or "pdf")


class DisplayPage(OperationsPage):
    """What the station displays in its workplace (clause 4.2.2): its service contents (the station's items), the
    service process, the service and complaint phones and the bureau's supervision phone; printable."""

    template_name = "operations/display.html"

    def get_context_data(self, form=None, **kwargs):
        notice = selectors.display_notice()
        if form is None and self.is_head:
            form = DisplayForm(initial={"process": notice.process, "notes": notice.notes} if notice else None)
        return super().get_context_data(
            **kwargs, facts=selectors.display_facts(station=self.station), notice=notice, form=form
        )

    def post(self, request, *args, **kwargs):
        form = DisplayForm(request.POST)
        response = self.submitted(
            form,
            lambda data: services.display_notice_save(user=request.user, **data),
            _("The display is saved."),
        )
        return response or self.render_to_response(self.get_context_data(form=form), status=400)
