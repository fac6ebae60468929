"""The category form. The rules (slug format, unique slug, column names) live in services._clean, which
checks every field at once, so the form only carries the fields and their help text."""
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField


class ColumnListField(StringField):
    """A comma-separated list of column names: shows a stored list joined, and what was typed as typed."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, (list, tuple)):
            return ", ".join(self.data)
        return self.data or ""


REQUIRED = {"required": True}


class CategoryForm(FlaskForm):
    name = StringField(
        "Name", render_kw=REQUIRED,
        description="What the work is called, as staff would say it, e.g. Asphalt resurfacing.",
    )
    slug = StringField(
        "Slug", render_kw=REQUIRED,
        description="A short name used in files and on the command line, e.g. asphalt-resurfacing. "
                    "Lower-case letters, digits, '-' or '_', no spaces.",
    )
    unit = StringField(
        "Work unit", render_kw=REQUIRED,
        description="What one unit of work is measured in, e.g. lane-mile or work order. "
                    "Contract capacities and reallocated volumes are in this unit.",
    )
    row_key = StringField(
        "Row key column", render_kw=REQUIRED,
        description="The column of the monthly sheet that identifies one unit of work, e.g. work_order_id. "
                    "Each row of a sheet must have a different value in it.",
    )
    date_column = StringField(
        "Date column", render_kw=REQUIRED,
        description="The column holding the date the work was done, e.g. completed_on. "
                    "It decides which month a row belongs to.",
    )
    context_columns = ColumnListField(
        "Context columns",
        description="Optional. Other columns the sheet carries to describe the work but that are not scored, "
                    "separated by commas, e.g. street, ward, district. Same naming rule as the slug.",
    )
    review_days = StringField(
        "Review days", default="14", render_kw=REQUIRED,
        description="How many days after a month's sheet is committed the vendor may comment on it and dispute it "
                    "(1 to 90). Until then the month is provisional.",
    )
    sheet_due_days = StringField(
        "Sheet due (days after month end)", default="10", render_kw=REQUIRED,
        description="How many days after a month ends its performance sheet is due from the contract manager "
                    "(1 to 60). Later it shows as overdue and the manager is reminded.",
    )
    submit = SubmitField("Save category")
