from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from core.common.forms import FieldRulesMetaclass, FieldRulesMixin, Form
from tenants.models import BureauRole


class ProfileForm(Form):
    full_name = forms.CharField(label=_("full name"), max_length=100)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)


class PasswordChangeForm(FieldRulesMixin, auth_forms.PasswordChangeForm, metaclass=FieldRulesMetaclass):
    pass


class PasswordResetRequestForm(Form):
    email = forms.EmailField(label=_("e-mail"), max_length=254)


class SetPasswordForm(FieldRulesMixin, auth_forms.SetPasswordForm, metaclass=FieldRulesMetaclass):
    pass


class MemberInviteForm(Form):
    full_name = forms.CharField(label=_("full name"), max_length=100)
    email = forms.EmailField(label=_("e-mail"), max_length=254)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)


class HeadHandoverForm(Form):
    email = forms.CharField(
        label=_("new head's e-mail or user name"),
        max_length=254,
        help_text=_("A member of the station, another account, or a new person (then enter the name below)."),
    )
    full_name = forms.CharField(label=_("full name (a new person only)"), max_length=100, required=False)
    phone = forms.CharField(label=_("phone (a new person only)"), max_length=30, required=False)
    former_head = forms.ChoiceField(
        label=_("the head before"),
        choices=[("staff", _("stays as staff")), ("deactivated", _("is deactivated"))],
        initial="staff",
    )


BUREAU_ROLE_CHOICES = [(value, label) for value, label in BureauRole.choices if value]


class BureauUserInviteForm(Form):
    full_name = forms.CharField(label=_("full name"), max_length=100, required=False)
    email = forms.EmailField(label=_("e-mail"), max_length=254)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    bureau_role = forms.ChoiceField(label=_("bureau role"), choices=BUREAU_ROLE_CHOICES)


class BureauRoleForm(Form):
    bureau_role = forms.ChoiceField(
        label=_("bureau role"), choices=[("", _("None")), *BUREAU_ROLE_CHOICES], required=False
    )


class LockoutLiftForm(Form):
    username = forms.CharField(label=_("user name"), max_length=150, required=False)
    address = forms.GenericIPAddressField(label=_("address"), required=False)
