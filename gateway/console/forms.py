"""The console's forms (Flask-WTF: each carries the session's CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models.console import Outcome


class PhoneForm(FlaskForm):
    phone = StringField(validators=[DataRequired(), Length(max=32)])


class AdminForm(FlaskForm):
    phone = StringField(validators=[DataRequired(), Length(max=32)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(max=16)])


class CloseForm(FlaskForm):
    note = TextAreaField(validators=[Length(max=1000)])
    outcome = RadioField(choices=[o.value for o in Outcome], default=Outcome.COMING.value)


class LangForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired(), Length(max=16)])
    next = HiddenField(validators=[Length(max=300)])


class LogoutForm(FlaskForm):
    pass
