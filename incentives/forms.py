"""Incentive forms: validation and Indonesian messages, no business rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.models import PayoutAccount, Survey


class PayoutAccountForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis rekening"), choices=PayoutAccount.Kind.choices)
    number = forms.CharField(
        label=_("Nomor rekening / nomor e-wallet"),
        max_length=20,
        help_text=_("Rekening BNI 10 angka, atau nomor HP terdaftar Anda untuk e-wallet."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_name = forms.CharField(
        label=_("Nama pemilik rekening"),
        max_length=150,
        help_text=_("Harus sama dengan nama Anda sesuai KTP."),
    )
    password = forms.CharField(
        label=_("Kata sandi akun Anda"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SurveyForm(forms.Form):
    """One field per question of the survey: a choice when the question has choices, otherwise
    free text."""

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        for question in survey.questions.all():
            name = f"q{question.pk}"
            if question.choice_list:
                self.fields[name] = forms.ChoiceField(
                    label=question.text,
                    choices=[(c, c) for c in question.choice_list],
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question.text, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
                )
        self.questions = {f"q{q.pk}": q.text for q in survey.questions.all()}

    def answers(self) -> dict:
        return {self.questions[name]: value for name, value in self.cleaned_data.items()}
