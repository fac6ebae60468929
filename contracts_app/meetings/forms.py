from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from ..form_choices import select_choices

STATUSES = [("open", "Open"), ("done", "Done"), ("dropped", "Dropped")]


class ActionItemForm(FlaskForm):
    """Checks nothing itself: the service checks every field and the view puts its messages next to them."""

    text = TextAreaField("What is to be done", render_kw={"rows": 2})
    owner_user_id = SelectField("Owner (a user here)", choices=[], validate_choice=False)
    owner_name = StringField("…or the owner's name", description="For someone without an account here, e.g. the "
                                                                 "vendor's representative.")
    due_on = StringField("Due", render_kw={"type": "date"})
    status = SelectField("Status", choices=select_choices(STATUSES),
                         validate_choice=False)
    submit = SubmitField("Record the item")


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=select_choices(STATUSES),
                         validate_choice=False)
    submit = SubmitField("Save")


class PacketForm(FlaskForm):
    submit = SubmitField("Prepare the packet (PDF and Word)")
