"""The registration form: every rule a submitted value must pass, in one class."""

# WTForms ships no type hints; its names are typed as Any here.
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import Field
from wtforms import PasswordField
from wtforms import StringField
from wtforms import ValidationError
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import Regexp

from . import users

# Names that would pass for the site itself. Compared without case.
RESERVED = frozenset({"admin", "administrator", "root", "support", "staff"})
# One @, no spaces, a dot in the domain. WTForms' Email() validator needs the
# email_validator package; a regex is enough to catch typos, and only a
# confirmation mail proves that the address works.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
TAKEN = "“{}” is taken. Choose another."
FULL = "The members list is full: {:,} members at most."


def strip(value: str | None) -> str | None:
    """Drop the spaces a pasted value brings along."""
    return value.strip() if value else value


class RegistrationForm(FlaskForm):  # type: ignore[misc]  # FlaskForm is untyped
    username = StringField(
        "Username",
        filters=[strip],
        validators=[
            DataRequired("Choose a username."),
            Length(3, 25, "Use 3 to 25 characters."),
            Regexp(
                r"^[A-Za-z0-9_.-]+$",
                message="Use only letters, digits, dots, dashes and underscores.",
            ),
        ],
    )
    email = EmailField(  # type="email": the browser checks it too
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="An email address has at most 254 characters."),
            Regexp(EMAIL, message="Enter an email address like name@example.com."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            # The upper bound keeps hashing cheap: no megabyte passwords.
            Length(8, 128, "Use 8 to 128 characters."),
            EqualTo("confirm", "The two passwords do not match."),
        ],
    )
    confirm = PasswordField("Repeat the password")
    accept_tos = BooleanField(
        "I accept the terms of service",
        validators=[DataRequired("Accept the terms of service to register.")],
    )

    def validate_username(self, field: Field) -> None:
        """A custom validator: WTForms calls validate_<field> after the list above."""
        if field.errors:  # too short, bad characters: nothing to look up
            return
        if field.data.casefold() in RESERVED:
            raise ValidationError(f"“{field.data}” is reserved. Choose another.")
        if users.username_taken(field.data):
            raise ValidationError(TAKEN.format(field.data))
