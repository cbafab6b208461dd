"""What the post editor posts: the fields and the inline formsets, for admin tests."""


def inline_rows(prefix, rows, max_num):
    """Management form and rows of one InlinePanel formset (rows: dicts of field values)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(max_num),
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
        data.update(
            {
                f"{prefix}-{index}-id": "",
                f"{prefix}-{index}-ORDER": str(index + 1),
                f"{prefix}-{index}-DELETE": "",
            }
        )
    return data


def post_form_data(
    *,
    title="Fermeture de la piscine",
    text="La piscine ferme lundi.",
    images=(),
    variants=(),
    **fields,
):
    """images: (image, alt text) pairs; variants: (account, text) pairs."""
    data = {"title": title, "text": text, "link": "", "themes": "", "notes_for_approvers": ""}
    data.update(
        inline_rows(
            "images",
            [{"image": str(image.pk), "alt_text": alt} for image, alt in images],
            max_num=10,
        )
    )
    data.update(
        inline_rows(
            "variants",
            [
                {
                    "account": str(account.pk),
                    "text": text,
                    "format": "feed",
                    "thread_text": "",
                    "media": "",
                    "first_comment": "",
                }
                for account, text in variants
            ],
            max_num=1000,
        )
    )
    data.update(fields)
    return data
