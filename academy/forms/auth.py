"""Forms for signing in, registering and managing one's password."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from academy.accounts.passwords import MAX_LENGTH

# The policy (academy.accounts.passwords) explains a too-long password; the form
# only bounds what it is willing to receive.
_password = [DataRequired(message="Enter a password."), Length(max=4 * MAX_LENGTH)]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password."),
                                                     Length(max=4 * MAX_LENGTH)])
    submit = SubmitField("Sign in")


class ProfileFields:
    """Fields shared by registration and the profile page."""

    full_name = StringField("Full name (as it should appear on certificates)",
                            validators=[DataRequired(message="Enter your full name."), Length(max=200)])
    credentials = StringField("Professional credentials (e.g. LCSW, PsyD, MD)",
                              validators=[Optional(), Length(max=100)])
    profession = StringField("Profession", validators=[Optional(), Length(max=100)])
    license_number = StringField("License number", validators=[Optional(), Length(max=64)])
    license_state = StringField("License state or region", validators=[Optional(), Length(max=64)])


class RegisterForm(ProfileFields, FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."),
                                            Length(max=254)])
    password = PasswordField("Password (at least 12 characters)", validators=_password)
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])
    submit = SubmitField("Create account")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email address."),
                                            Length(max=254)])
    submit = SubmitField("Email me a reset link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password (at least 12 characters)", validators=_password)
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])
    submit = SubmitField("Set new password")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(message="Enter your current password.")])
    password = PasswordField("New password (at least 12 characters)", validators=_password)
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(message="Repeat the password."), EqualTo("password", message="The passwords do not match.")])
    submit = SubmitField("Change password")


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for one-button actions (sign out, resend)."""
    submit = SubmitField("Continue")
