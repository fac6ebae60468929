from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class VendorForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired(message="Enter the vendor's name."), Length(max=200)],
        filters=[_strip],
        description="The company's name as it appears on its contracts. Two vendors can't share a name.",
    )
    contact_email = StringField(
        "Contact email",
        validators=[Optional(), Length(max=254), Email(message="Enter an email address like name@example.com.")],
        filters=[_strip],
        description="Optional. Who at the company the city writes to about performance.",
    )
    submit = SubmitField("Save vendor")
