from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, Regexp

from scoring.periods import STORED_PERIOD_PATTERN

from ..fields import FiniteDecimalField

PERIOD = Regexp(STORED_PERIOD_PATTERN, message="Write the month as YYYY-MM (a year from 1900 to 2999), e.g. 2026-11.")


class RecommendationForm(FlaskForm):
    """The inputs of SPEC §4; read from the query string so a result can be linked and compared."""

    class Meta:
        csrf = False  # a GET form: it changes nothing

    category = SelectField("Service category", validators=[DataRequired()])
    period = StringField("Target month", validators=[DataRequired(), PERIOD],
                         description="The month the work is for. Scores are taken as of the month before.")
    volume = FiniteDecimalField("Total volume", validators=[InputRequired(), NumberRange(min=0.01)],
                          description="How much work to hand out that month, in the category's unit.")
    window = IntegerField("Score window (months)", default=6, validators=[InputRequired(), NumberRange(1, 60)],
                          description="Months of results that make a vendor's score (default 6).")
    floor = FloatField("Floor share", default=0.10, validators=[InputRequired(), NumberRange(0, 1)],
                       description="Least share each eligible vendor gets, to keep competition (0.10 = 10 %).")
    gamma = FloatField("γ (gamma)", default=2.0, validators=[InputRequired(), NumberRange(0.01, 10)],
                       description="How strongly better scores win more work: weight = (score/100)^γ. 1 is "
                                   "proportional; 2 (default) favours the best more.")
    basis = SelectField("Score basis", default="score",
                        choices=[("score", "Vendor score (S)"), ("shrunk", "Shrunk score (θ, how sure each score is)")],
                        description="Shrunk: each score pulled toward the category by how little data backs it "
                                    "(see the rankings page); where there is none, the vendor score is used.")
    what_if_floor = FloatField("What-if floor share", validators=[Optional(), NumberRange(0, 1)])
    what_if_gamma = FloatField("What-if γ", validators=[Optional(), NumberRange(0.01, 10)])
    what_if_basis = SelectField("What-if score basis", default="",
                                choices=[("", "same as above"), ("score", "Vendor score (S)"),
                                         ("shrunk", "Shrunk score (θ)")])
    submit = SubmitField("Recommend")


class SaveForm(FlaskForm):
    category = HiddenField()
    period = HiddenField()
    volume = HiddenField()
    window = HiddenField()
    floor = HiddenField()
    gamma = HiddenField()
    basis = HiddenField()
    submit = SubmitField("Save as draft")


class ApproveForm(FlaskForm):
    confirm_disputed = BooleanField("I approve with these months disputed")
    submit = SubmitField("Approve")
