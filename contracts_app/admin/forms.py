from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from models import Role

from ..form_choices import select_choices
from .services import MIN_PASSWORD_LENGTH


class NewUserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "off"})
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=select_choices((r.value, r.label) for r in Role), validators=[DataRequired()])
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password. Give it to the person directly.",
        render_kw={"autocomplete": "new-password"},  # a browser must not fill in the admin's own password
    )
    vendor = SelectField("Vendor", choices=[], validate_choice=False,
                         description="Only for vendor users: the company they work for.")
    submit = SubmitField("Create user")


class ManageUserForm(FlaskForm):
    """One form for the Manage user page; `action` says which button was pressed."""
    action = HiddenField()
    confirm = BooleanField()  # ticked to confirm a reset that cannot be taken back (password, two-step sign-in)
    role = SelectField("Role", choices=select_choices((r.value, r.label) for r in Role), validate_choice=False)
    vendor = SelectField("Vendor", choices=[], validate_choice=False,
                         description="Only for vendor users: the company they work for.")


class AssignmentsForm(FlaskForm):
    contract_ids = SelectMultipleField("Contracts", coerce=int, option_widget=CheckboxInput(),
                                       widget=ListWidget(prefix_label=False),
                                       description="The contracts this contract manager uploads monthly sheets for.")
    submit = SubmitField("Save assignments")
