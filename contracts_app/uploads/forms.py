from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class UploadForm(FlaskForm):
    period = SelectField("Month", validators=[DataRequired()],
                         description="The calendar month the sheet reports on.")
    sheet = FileField("Performance sheet", validators=[FileRequired("Choose the .xlsx or .csv file to upload.")],
                      description="An .xlsx or .csv file (UTF-8, comma or semicolon). Start from the template.")
    submit = SubmitField("Upload and check")


class CommitForm(FlaskForm):
    reason = TextAreaField("Reason for replacing the month's data", validators=[Optional(), Length(max=2000)],
                           description="Required when this month already has committed data; kept with both uploads.")
    submit = SubmitField("Commit")
