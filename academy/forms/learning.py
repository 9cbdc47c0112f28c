"""Forms of the clinician's journey: the course evaluation and the profile."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from academy.forms.auth import ProfileFields
from academy.learning.completion import LIKERT_ITEMS

SCALE = [SelectChoice(str(n), label) for n, label in
         ((1, "1 Strongly disagree"), (2, "2 Disagree"), (3, "3 Neutral"), (4, "4 Agree"), (5, "5 Strongly agree"))]


class EvaluationForm(FlaskForm):
    comments = TextAreaField("Comments (optional): what worked, what should change", validators=[Length(max=5000)])
    hours_claimed = StringField("Hours you spent on this course (in quarter hours, e.g. 1.25)",
                                validators=[DataRequired(message="Enter the hours you spent.")])
    attest = BooleanField("I attest that I completed this course myself and spent the hours I claim.")
    submit = SubmitField("Submit evaluation")


for _key, _label in LIKERT_ITEMS.items():
    setattr(EvaluationForm, _key, RadioField(_label, choices=SCALE,
                                             validators=[InputRequired(message="Choose a rating.")]))


class ProfileForm(ProfileFields, FlaskForm):
    submit = SubmitField("Save profile")
