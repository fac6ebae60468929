from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, Length

from models import Role

from ..form_choices import select_choices
from .services import MIN_PASSWORD_LENGTH


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=select_choices((r.value, r.label) for r in Role), validators=[DataRequired()])
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Give it to the person directly.",
    )
    submit = SubmitField("Create user")


class AssignmentsForm(FlaskForm):
    contract_ids = SelectMultipleField("Contracts", coerce=int, option_widget=CheckboxInput(),
                                       widget=ListWidget(prefix_label=False),
                                       description="The contracts this contract manager uploads monthly sheets for.")
    submit = SubmitField("Save assignments")
