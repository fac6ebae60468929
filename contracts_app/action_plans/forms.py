from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..form_choices import select_choices

MILESTONE_ROWS = 5


class ClauseChecklist(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # the service names an unknown clause itself
        pass


class Choice(RadioField):
    def pre_validate(self, form) -> None:  # nothing chosen: the service says what to choose
        pass


class MilestoneRow(Form):
    description = StringField("What is to be done")
    due_on = StringField("Due", render_kw={"type": "date"})


class OpenPlanForm(FlaskForm):
    """Checks nothing itself: the service checks every field and the view puts its messages next to them."""

    reason = HiddenField()
    source_period = HiddenField()
    clauses = ClauseChecklist("Clauses concerned", choices=[],
                              description="The clauses whose results the plan is to bring back to target.")
    outcome_required = TextAreaField("Outcome required", render_kw={"rows": 3},
                                     description="What the vendor must reach, and for how long, for the plan to "
                                                 "be completed.")
    milestones = FieldList(FormField(MilestoneRow), min_entries=MILESTONE_ROWS, max_entries=MILESTONE_ROWS)
    submit = SubmitField("Open the plan")


class AnswerForm(FlaskForm):
    answer = TextAreaField("Your answer", render_kw={"rows": 3})
    submit = SubmitField("Send answer")


class MarkForm(FlaskForm):
    outcome = Choice("Outcome", choices=select_choices([("met", "Met"), ("missed", "Missed")]))
    note = TextAreaField("Note (optional)", render_kw={"rows": 2})
    submit = SubmitField("Mark milestone")


class CloseForm(FlaskForm):
    outcome = Choice("The plan ends as", choices=select_choices([("completed", "Completed"), ("failed", "Failed")]))
    note = TextAreaField("Closing note", render_kw={"rows": 3},
                         description="What was achieved, or why the plan failed. The vendor sees it.")
    submit = SubmitField("Close the plan")
