from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget


class CommentForm(FlaskForm):
    body = TextAreaField("Comment on this month", description="Kept with the month's record; the city sees it.")
    submit = SubmitField("Add comment")


class DisputeForm(FlaskForm):
    clause_keys = SelectMultipleField("Clause results disputed", choices=[], validate_choice=False,
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    row_keys = TextAreaField("Rows disputed", validators=[Optional()],
                             description="The row keys of the rows you dispute, one per line or separated by commas.")
    reason = TextAreaField("Reason", description="What is wrong, and what the right result is.")
    evidence = MultipleFileField("Evidence files", description="Optional: .pdf, .xlsx, .csv, .png or .jpg.")
    submit = SubmitField("Open the dispute")


class RejectForm(FlaskForm):
    reason = TextAreaField("Why the dispute is rejected", description="Required; the vendor reads it.")
    submit = SubmitField("Reject the dispute")


class CorrectionForm(FlaskForm):
    sheet = FileField("Corrected sheet", validators=[FileRequired("Choose the corrected .xlsx or .csv sheet.")],
                      description="The month's whole sheet with the correction; it is checked like any upload.")
    submit = SubmitField("Upload and check")


class CorrectionCommitForm(FlaskForm):
    reason = TextAreaField("Reason for replacing the month's data",
                           description="Pre-filled from the dispute; kept with both uploads.")
    submit = SubmitField("Uphold: commit the corrected sheet")
