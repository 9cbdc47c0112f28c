"""Forms for two-factor sign-in. Codes are checked by academy.accounts.twofactor, not here."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from academy.accounts.passwords import MAX_LENGTH

# Long enough for a recovery code typed with spaces; the service says what is wrong.
_code = [DataRequired(message="Enter the code."), Length(max=64)]
_APP_OR_RECOVERY = "Six-digit code from your authenticator app, or a recovery code"


class SecondFactorForm(FlaskForm):
    code = StringField(_APP_OR_RECOVERY, validators=_code)
    submit = SubmitField("Verify")


class EnrolForm(FlaskForm):
    code = StringField("Six-digit code from your authenticator app", validators=_code)
    submit = SubmitField("Turn on two-factor sign-in")


class DisableForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(message="Enter your password."),
                                                          Length(max=4 * MAX_LENGTH)])
    code = StringField(_APP_OR_RECOVERY, validators=_code)
    submit = SubmitField("Turn off two-factor sign-in")


class RecoveryCodesForm(SecondFactorForm):
    """The same check, confirming that the old recovery codes may be replaced."""
    submit = SubmitField("Make new recovery codes")
