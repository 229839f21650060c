from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator

from corpus.conflicts import VersionedForm
from corpus.models import Document, DocumentFormat, Project
from corpus.roles import Role


class Multiline(forms.Textarea):
    """A textarea whose line breaks arrive as "\n", as the browser counts them.

    Browsers send a textarea's line breaks as CRLF but count them as one
    character against its maxlength; normalised here, what the browser let
    through fits the field's max_length, and notes are stored one way.
    """

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            return value.replace("\r\n", "\n").replace("\r", "\n")
        return value


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description", "premoderation"]
        widgets = {"description": Multiline(attrs={"rows": 3})}


class ProjectSettingsForm(VersionedForm, ProjectForm):
    """The project's settings, edited by its owners; a stale save is refused."""

    versioned_fields = ("name", "description", "premoderation")


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="The person's user name.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = (
            get_user_model().objects.filter(username=username, is_active=True).first()
        )
        if user is None:
            raise forms.ValidationError(f"No active user is called “{username}”.")
        return user


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        # type=email would lose the site's input style; inputmode still brings
        # the address keyboard on phones.
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}),
        help_text="They get a link, valid for a week, to join with this role. "
        "Inviting an address again replaces its last invitation.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ANNOTATOR)

    def __init__(self, *args, **kwargs):
        # Beside the add-a-member form on one page: ids of its own.
        kwargs.setdefault("auto_id", "invite-%s")
        super().__init__(*args, **kwargs)


class AccountForm(forms.Form):
    """A new account's name and password, on an invitation's page. The password
    is checked against the site's validators by the service, which knows the
    account's name and address."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="What you sign in with: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", "The two passwords differ.")
        return data


class TokenForm(forms.Form):
    """A new personal API token: its name, and the password again (a session
    left open must not be enough to mint lasting access)."""

    name = forms.CharField(
        max_length=100,
        help_text="Where you will use it (“Zotero sync”, “notebook”).",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("This is not your password.")
        return password


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class DocumentFilterForm(forms.Form):
    SORTS = {
        "title": ("title", "pk"),
        "-title": ("-title", "-pk"),
        "date": ("published_date", "title", "pk"),
        "-date": ("-published_date", "title", "pk"),
    }
    q = forms.CharField(required=False, max_length=200, label="Filter")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("title", "Title A–Z"),
            ("-title", "Title Z–A"),
            ("-date", "Newest first"),
            ("date", "Oldest first"),
        ],
    )

    def ordering(self) -> tuple[str, ...]:
        sort = self.cleaned_data.get("sort") if self.is_valid() else None
        return self.SORTS.get(sort or "title")


class CommaListField(forms.CharField):
    """A list of strings edited as one comma-separated line."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        value = super().to_python(value)
        return [item.strip() for item in value.split(",") if item.strip()]


class DocumentMetadataFields(forms.ModelForm):
    """A document's metadata as people edit it, in the app and in the admin."""

    source_url = forms.URLField(
        label="Source URL", required=False, max_length=2000, assume_scheme="https"
    )
    authors = CommaListField(required=False, help_text="Separate names with commas.")
    keywords = CommaListField(
        required=False, help_text="Separate keywords with commas."
    )

    class Meta:
        model = Document
        fields = Document.METADATA_FIELDS


class DocumentMetadataForm(VersionedForm, DocumentMetadataFields):
    versioned_fields = Document.METADATA_FIELDS

    class Meta(DocumentMetadataFields.Meta):
        widgets = {"published_date": forms.DateInput(attrs={"type": "date"})}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".txt,.md,.markdown,.html,.htm,text/*"}),
        )
        # An empty file is reported by the importer, per file, with the others.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data and self.required:
            raise forms.ValidationError(
                self.error_messages["required"], code="required"
            )
        if isinstance(data, list | tuple):
            files = [
                super(MultipleFileField, self).clean(item, initial) for item in data
            ]
        else:
            files = [super().clean(data, initial)]
        if len(files) > settings.APPARATUS_MAX_FILES_PER_BATCH:
            raise forms.ValidationError(
                f"At most {settings.APPARATUS_MAX_FILES_PER_BATCH} files at once."
            )
        return files


class UploadForm(forms.Form):
    files = MultipleFileField(label="Text files")


FORMAT_CHOICES = [("", "Detect automatically"), *DocumentFormat.choices]


class ReviewForm(forms.Form):
    """The importer's choices for one upload, saved with it until it is imported.

    A file that could not be read (`readable=False`) offers the format alone.
    """

    format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False)
    title = forms.CharField(max_length=500)
    authors = CommaListField(
        required=False,
        max_length=2000,
        help_text="Separate names with commas.",
    )
    published_date = forms.DateField(
        label="Published",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    drop = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        label="Remove these blocks",
    )

    def __init__(
        self,
        *args,
        boilerplate: list[tuple[int, str]] = (),
        readable: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["drop"].choices = list(boilerplate)
        if not readable:
            for name in ("title", "authors", "published_date", "drop"):
                del self.fields[name]

    def clean_authors(self) -> list[str]:
        authors = self.cleaned_data["authors"]
        # The list hides a NUL from the field's own check (it looks at str(list)).
        if any("\x00" in name for name in authors):
            raise forms.ValidationError("Null characters are not allowed.")
        if any(len(name) > 200 for name in authors):
            raise forms.ValidationError("A name may have at most 200 characters.")
        return authors

    def choices(self) -> dict:
        """The cleaned choices, as save_review_choices() takes them."""
        data = self.cleaned_data
        return {
            "format": data["format"],
            "drop": data.get("drop", []),
            "title": data.get("title"),
            "authors": data.get("authors"),
            "published_date": data.get("published_date"),
        }
