from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from cards.models import Profile

COMMON_TIMEZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Johannesburg",
]


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True)
    timezone = forms.ChoiceField(
        choices=[(tz, tz) for tz in COMMON_TIMEZONES],
        initial="UTC",
        help_text="Your study day starts at 04:00 in this time zone.",
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            Profile.objects.update_or_create(user=user, defaults={"timezone": self.cleaned_data["timezone"]})
        return user


class JoinCourseForm(forms.Form):
    code = forms.CharField(max_length=12, label="Join code")
