"""Forms of the desk's pages. They check types and shapes; every business rule is the services'. Their errors come
back onto these forms field by field (and row by row for the tables), keeping everything typed."""

import itertools

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.catalog.forms import ServiceItemMultipleChoiceField
from core.catalog.models import FormBox, FormKind
from core.common.forms import DATE, DATETIME, DATETIME_FORMATS, Form, ModelForm
from core.desk.models import (
    DEMAND_TABLES,
    RECORD_FIELDS,
    CaseState,
    Channel,
    Demand,
    ExamCategory,
    InspectionMaterial,
    PlanKind,
    Rating,
    ServicePlan,
    ServiceRecord,
    Survey,
    TrainingMode,
)
from core.desk.services import ENTERPRISE_BLOCK, FOLLOW_UP_KINDS
from core.directory.forms import USCCField
from core.directory.models import Institution
from core.directory.selectors import institution_expired_items
from core.districts import District
from tenants.models import User


def _blank(choices):
    return [("", "—"), *choices]


class DemandForm(ModelForm):
    """Appendix A without its tables (see `demand_table_formsets`). `district` is asked only to add an enterprise
    the directory does not know yet."""

    district = forms.ChoiceField(
        choices=_blank(District.choices), required=False, label=_("District (for an enterprise new to the directory)")
    )
    boxes = forms.ModelMultipleChoiceField(
        queryset=FormBox.objects.filter(form=FormKind.DEMAND).order_by("position"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=Demand._meta.get_field("boxes").verbose_name,
    )
    inspection_materials = forms.MultipleChoiceField(
        choices=InspectionMaterial.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=Demand._meta.get_field("inspection_materials").verbose_name,
    )
    exam_categories = forms.MultipleChoiceField(
        choices=ExamCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=Demand._meta.get_field("exam_categories").verbose_name,
    )

    class Meta:
        model = Demand
        fields = [
            "filled_on",
            "channel",
            *ENTERPRISE_BLOCK,
            "training_mode",
            "other_needs",
            "opinions",
            "signatory",
            "signed_on",
        ]
        widgets = {
            "filled_on": DATE,
            "signed_on": DATE,
            "training_mode": forms.RadioSelect,
            "other_needs": forms.Textarea(attrs={"rows": 3}),
            "opinions": forms.Textarea(attrs={"rows": 3}),
        }
        # Typed in full width or with spaces, the code is taken compact: a known enterprise is found by it.
        field_classes = {"uscc": USCCField}

    def __init__(self, *args, online: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A box by its own words: its section is the heading it sits under (`box_sections`).
        self.fields["boxes"].label_from_instance = lambda box: box.label
        self.fields["enterprise_name"].required = True
        self.fields["uscc"].required = True
        self.fields["training_mode"].choices = [c for c in TrainingMode.choices if c[0]]
        self.fields["training_mode"].required = False
        if online:
            # The enterprise's own form: the portal sets the channel and the date.
            del self.fields["channel"]
            del self.fields["filled_on"]
        else:
            self.fields["channel"].choices = _blank([c for c in Channel.choices if c[0] != Channel.ONLINE])
            self.fields["filled_on"].initial = timezone.localdate

    def _post_clean(self):
        """No model validation here: the service validates the whole demand at once."""

    def box_sections(self) -> list[tuple[str, list]]:
        """The check boxes of sections 二 to 十一, grouped by section as the paper form prints them."""
        widgets = {str(widget.data["value"]): widget for widget in self["boxes"]}
        boxes = self.fields["boxes"].queryset
        return [
            (section, [widgets[str(box.pk)] for box in group])
            for section, group in itertools.groupby(boxes, key=lambda box: box.section)
        ]

    # The tables of Appendix A sit at the head of their sections (五.1, 六.1, 七.1, 八.1).
    SECTION_TABLES = {
        "五": ("product_standards", "1、企业产品执行标准情况"),
        "六": ("instruments", "1、企业计量器具情况"),
        "七": ("products", "1、产品信息"),
        "八": ("special_equipment", "1、企业特种设备情况"),
    }

    def sections(self, formsets: dict) -> list[dict]:
        """Sections 二 to 十一 in the paper form's order: each with its title, its table (if it has one) and its
        check boxes; a section split in sub-headings comes once, with its boxes in groups."""
        result: list[dict] = []
        for heading, widgets in self.box_sections():
            title, _slash, sub = heading.partition(" / ")
            if not result or result[-1]["title"] != title:
                table, table_title = self.SECTION_TABLES.get(title[:1], (None, ""))
                result.append(
                    {
                        "title": title,
                        "number": title[:1],
                        "table": formsets.get(table) if table else None,
                        "table_title": table_title,
                        "groups": [],
                    }
                )
            result[-1]["groups"].append({"title": sub, "boxes": widgets})
        return result

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("training_mode"):
            data["training_mode"] = TrainingMode.NONE
        return data


def _row_form(model):
    fields = [f.name for f in model._meta.get_fields() if f.concrete and f.name not in {"id", "demand", "position"}]
    widgets = {f.name: DATE for f in model._meta.get_fields() if f.get_internal_type() == "DateField"}
    meta = type("Meta", (), {"model": model, "fields": fields, "widgets": widgets})
    # The row's own model validation runs here too, so that every bad row is marked at once.
    return type(f"{model.__name__}Form", (ModelForm,), {"Meta": meta})


ROW_FORMS = {name: _row_form(model) for name, model in DEMAND_TABLES.items()}


def demand_table_formsets(data=None) -> dict[str, forms.BaseFormSet]:
    """One formset per table of Appendix A; a row left blank is ignored."""
    return {
        name: forms.formset_factory(form, extra=1)(data, prefix=name, form_kwargs={"use_required_attribute": False})
        for name, form in ROW_FORMS.items()
    }


def formset_rows(formset) -> tuple[list[dict], list]:
    """The filled rows of a valid formset, and the forms they came from (so that the service's row errors, counted
    from 1 over the filled rows, land on the right form)."""
    rows, sources = [], []
    for form in formset.forms:
        if form.has_changed() and form.cleaned_data:
            rows.append(dict(form.cleaned_data))
            sources.append(form)
    return rows, sources


class CaseFilterForm(Form):
    VIEWS = [("", _("All cases")), ("inbox", _("Inbox")), ("mine", _("My cases")), ("due", _("Near or past deadline"))]

    view = forms.ChoiceField(choices=VIEWS, required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, label=_("Number or enterprise"))
    state = forms.ChoiceField(choices=_blank(CaseState.choices), required=False, label=_("State"))
    category = forms.ChoiceField(required=False, label=_("Service category"))
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Assigned staff"))
    received_from = forms.DateField(required=False, widget=DATE, label=_("Received from"))
    received_to = forms.DateField(required=False, widget=DATE, label=_("Received to"))

    def __init__(self, *args, members=None, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members if members is not None else User.objects.none()
        self.fields["category"].choices = _blank([(c.clause, c.name) for c in categories])


def institution_label_with_expired(field):
    """The institution picker's labels: each institution's name, with the items it can no longer do because its
    qualifications for them expired (the plan's service refuses those items with it). One query, at first render."""
    expired = None

    def label(institution: Institution) -> str:
        nonlocal expired
        if expired is None:
            expired = institution_expired_items(institution_ids=field.queryset.values("pk"))
        items = expired.get(institution.pk)
        if not items:
            return institution.name
        return _("%(institution)s (qualification expired: %(items)s)") % {
            "institution": institution.name,
            "items": "、".join(items.values()),
        }

    return label


class PlanForm(ModelForm):
    agreed_items = ServiceItemMultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        label=ServicePlan._meta.get_field("agreed_items").verbose_name,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ServicePlan
        fields = [
            "kind",
            "evaluation",
            "appointment_at",
            "staff",
            "institution",
            "technician",
            "agreed_at",
            "period_start",
            "period_end",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "evaluation": forms.Textarea(attrs={"rows": 3}),
            "appointment_at": DATETIME,
            "agreed_at": DATETIME,
            "period_start": DATE,
            "period_end": DATE,
        }

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = PlanKind.choices
        self.fields["staff"].queryset = members if members is not None else User.objects.none()
        self.fields["institution"].queryset = Institution.objects.filter(is_active=True).order_by("name")
        self.fields["institution"].label_from_instance = institution_label_with_expired(self.fields["institution"])
        for name in ("appointment_at", "agreed_at"):
            self.fields[name].input_formats = DATETIME_FORMATS

    def _post_clean(self):
        """The service checks the plan as a whole."""


class TransitionForm(Form):
    to = forms.ChoiceField(choices=CaseState.choices)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    version = forms.IntegerField(widget=forms.HiddenInput)


# The case page's state buttons say what they do, not the state they lead to: by target state, or by (from, to)
# where going back means something else. Leaving "on hold" resumes the service, whatever state it returns to.
TRANSITION_ACTIONS = {
    CaseState.EVALUATING: _("Start evaluation"),
    CaseState.PLANNED: _("Confirm the plan"),
    CaseState.IN_SERVICE: _("Start service"),
    CaseState.FOLLOWING_UP: _("Start the follow-up"),
    CaseState.COMPLETED: _("Complete the service"),
    CaseState.EVALUATED: _("Mark as evaluated"),
    CaseState.ON_HOLD: _("Put the service on hold"),
    CaseState.CANCELLED: _("Cancel the case"),
}
TRANSITION_ACTIONS_BACK = {
    (CaseState.PLANNED, CaseState.EVALUATING): _("Re-evaluate"),
    (CaseState.IN_SERVICE, CaseState.EVALUATING): _("Re-evaluate"),
    (CaseState.FOLLOWING_UP, CaseState.EVALUATING): _("Re-evaluate"),
    (CaseState.FOLLOWING_UP, CaseState.IN_SERVICE): _("Continue the service"),
}


def transition_action(*, from_state: str, to: str) -> str:
    """The label of the button that moves a case from `from_state` to `to`."""
    if from_state == CaseState.ON_HOLD:
        return str(_("Resume the service"))
    return str(TRANSITION_ACTIONS_BACK.get((from_state, to)) or TRANSITION_ACTIONS.get(to) or CaseState(to).label)


class EventForm(Form):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in FOLLOW_UP_KINDS], label=_("Kind"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("What happened"))


class RecordForm(ModelForm):
    """Appendix B. The durations are shown, derived, never typed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceRecord
        fields = list(RECORD_FIELDS)
        widgets = {
            **{name: DATETIME for name in ("requested_at", "received_at", "answered_at", "on_site_at", "ended_at")},
            "request": forms.Textarea(attrs={"rows": 2}),
            "items_and_expected_time": forms.Textarea(attrs={"rows": 2}),
            "resolution": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = members if members is not None else User.objects.none()
        self.fields["category"].queryset = FormBox.objects.filter(form=FormKind.RECORD).order_by("position")
        self.fields["category"].label_from_instance = lambda box: box.label
        self.fields["institution"].queryset = Institution.objects.filter(is_active=True).order_by("name")
        for name in ("requested_at", "received_at", "answered_at", "on_site_at", "ended_at"):
            self.fields[name].input_formats = DATETIME_FORMATS

    def _post_clean(self):
        """The service checks the record as a whole."""


class AmendmentForm(RecordForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason"))


def _question(name: str) -> str:
    """The question as the standard's form words it (the model field's verbose name)."""
    return Survey._meta.get_field(name).verbose_name


def _rating(name: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=_question(name), choices=Rating.choices, widget=forms.RadioSelect)


class SurveyForm(Form):
    """The ten questions of Appendix B in the form's order; Q5 is yes or no, the others are rated. The enterprise
    answers it through its link; staff key in the signed paper form with it."""

    q1 = _rating("q1")
    q2 = _rating("q2")
    q3 = _rating("q3")
    q4 = _rating("q4")
    q5 = forms.TypedChoiceField(
        label=_question("q5"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    q6 = _rating("q6")
    q7 = _rating("q7")
    q8 = _rating("q8")
    q9 = _rating("q9")
    q10 = _rating("q10")
    opinions = forms.CharField(
        label=_question("opinions"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    signatory = forms.CharField(label=_question("signatory"), required=False, max_length=50)


class SurveyLinkForm(Form):
    """The enterprise contact's e-mail for a completed case whose survey link did not go out (no address on the
    demand, or the send failed): the link is sent to it at once. The service checks the address and the rest."""

    email = forms.EmailField(
        label=_("The enterprise contact's e-mail"),
        max_length=254,
        help_text=_(
            "The link goes out at once. The demand's cases completed later are sent theirs at this address too."
        ),
    )
