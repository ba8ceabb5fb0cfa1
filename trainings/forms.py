"""Forms of the participant training pages. They validate input; services enforce the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TrainingSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Cari pelatihan"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("mis. pemasaran, barista, Excel")}
        ),
    )
    category = forms.ChoiceField(label=_("Kategori"), required=False)

    def __init__(self, *args, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Semua kategori"))] + [
            (category, category) for category in categories
        ]


class ReviewForm(forms.Form):
    RATINGS = [(n, str(n)) for n in range(5, 0, -1)]

    rating = forms.TypedChoiceField(
        label=_("Penilaian (1-5)"),
        choices=[("", _("Pilih nilai")), *RATINGS],
        coerce=int,
        error_messages={
            "required": _("Pilih penilaian dari 1 sampai 5."),
            "invalid_choice": _("Penilaian harus antara 1 dan 5."),
        },
    )
    review = forms.CharField(
        label=_("Ulasan"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ceritakan pengalaman Anda mengikuti pelatihan ini (minimal 10 karakter)."),
        error_messages={
            "required": _("Ulasan wajib diisi."),
            "min_length": _("Ulasan minimal 10 karakter."),
        },
    )

    def __init__(self, *args, prefix_id: int | None = None, **kwargs):
        # Several review forms can share one page: give their fields distinct ids.
        if prefix_id is not None:
            kwargs.setdefault("auto_id", f"ulasan{prefix_id}_%s")
        super().__init__(*args, **kwargs)
