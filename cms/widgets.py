"""Form widgets of the cms admin."""

from django import forms


class ColourInput(forms.TextInput):
    """The browser's colour picker, which still accepts a typed #rrggbb value."""

    input_type = "color"
