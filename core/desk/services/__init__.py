"""Writes of the station desk. Every change of a case goes through here, and its state machine lives here only.

One module per sub-entity: demands, cases, plans, records, surveys, deadlines (and `_base`, the helpers they
share). Callers import from here: `from core.desk import services`."""

from core.desk.services.cases import (
    FOLLOW_UP_KINDS,
    NEEDS_REASON,
    TRANSITIONS,
    case_assign,
    case_event_add,
    case_next_states,
    case_transition,
)
from core.desk.services.deadlines import (
    DEADLINE_STOPPED,
    case_deadline_mail,
    case_deadline_remind,
)
from core.desk.services.demands import (
    ENTERPRISE_BLOCK,
    OPERATOR_EXAM_ITEMS,
    OTHER_SERVICES_ITEM,
    CaseDraft,
    demand_case_drafts,
    demand_create,
    demand_enterprise_get_or_add,
    demand_submit_online,
)
from core.desk.services.plans import (
    case_plan,
    case_plan_station,
)
from core.desk.services.records import (
    RECORD_TIMES,
    record_amend,
    record_category_box,
    record_field_display,
    record_initial,
    record_save,
)
from core.desk.services.surveys import (
    SURVEY_ANSWERS,
    SURVEY_LINK_ROLES,
    SURVEY_LINK_SALT,
    SurveyLinkExpired,
    demand_survey_email,
    survey_invitation_email_add,
    survey_invitation_failed,
    survey_invitation_send,
    survey_invite,
    survey_link_token,
    survey_link_verify,
    survey_remind_due,
    survey_reminder_send,
    survey_submit,
)

__all__ = [
    "CaseDraft",
    "DEADLINE_STOPPED",
    "ENTERPRISE_BLOCK",
    "FOLLOW_UP_KINDS",
    "NEEDS_REASON",
    "OPERATOR_EXAM_ITEMS",
    "OTHER_SERVICES_ITEM",
    "RECORD_TIMES",
    "SURVEY_ANSWERS",
    "SURVEY_LINK_ROLES",
    "SURVEY_LINK_SALT",
    "SurveyLinkExpired",
    "TRANSITIONS",
    "case_assign",
    "case_deadline_mail",
    "case_deadline_remind",
    "case_event_add",
    "case_next_states",
    "case_plan",
    "case_plan_station",
    "case_transition",
    "demand_case_drafts",
    "demand_create",
    "demand_enterprise_get_or_add",
    "demand_submit_online",
    "demand_survey_email",
    "record_amend",
    "record_category_box",
    "record_field_display",
    "record_initial",
    "record_save",
    "survey_invitation_email_add",
    "survey_invitation_failed",
    "survey_invitation_send",
    "survey_invite",
    "survey_link_token",
    "survey_link_verify",
    "survey_remind_due",
    "survey_reminder_send",
    "survey_submit",
]
