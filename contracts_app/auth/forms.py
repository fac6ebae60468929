from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("Sign in")


class CodeForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(), Length(max=20)],
                       description="The 6-digit code from your authenticator app, or one of your recovery codes.",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True})
    submit = SubmitField("Verify")


class EnrolForm(FlaskForm):
    password = PasswordField("Your password", validators=[Length(max=MAX_PASSWORD_LENGTH)],
                             description="Needed to replace an authenticator you already set up.",
                             render_kw={"autocomplete": "current-password"})
    code = StringField("Code from the app", validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    submit = SubmitField("Turn on two-step sign-in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters, not a common password, not your email. "
                    "Three or four unrelated words work well.",
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new_password", "the two new passwords differ")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")


class RecoveryCodesForm(FlaskForm):
    """New recovery codes: the password again, as for any change to how the user signs in."""
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Make new recovery codes")
