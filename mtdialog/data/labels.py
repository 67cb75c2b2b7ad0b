"""The JDDC 2.1 label sets: discourse relations (3-level taxonomy) and image categories.

Labels are data: a corpus carries its own label sets in ``meta.json``; these are the defaults that the
embedded corpus and the native format use when a corpus names none.
"""

_TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "Question&Answer": {
        "Question": ("Yes-No", "SWIH", "Choice"),
        "Answer": ("Affirmation", "Deny", "Hold"),
    },
    "Imperative": {
        "Suggestion": ("Recommend", "Suggestion", "Request"),
        "Reply to suggestion": ("Acceptance", "Rejection"),
    },
    "Promise": {
        "Promise": ("Promise",),
        "Reply to promise": ("Acceptance", "Rejection"),
    },
    "Communication": {
        "Social": ("Social",),
        "Time": ("Suspend",),
        "Expansion": ("Correction", "Completion"),
        "Contact": ("Contact", "Confirm"),
        "Feedback": ("Feedback",),
    },
    "Contingency": {
        "Contingency": (
            "Elaboration", "Summary", "Restatement", "Background", "Evaluation", "Proof",
            "Cause", "Condition", "Concession", "Solution", "Purpose", "Coordinate",
        ),
    },
}

#: The 33 leaf relations of the JDDC 2.1 taxonomy, stored as ``"L1/L2/L3"``.
JDDC21_RELATIONS: tuple[str, ...] = tuple(
    f"{l1}/{l2}/{l3}" for l1, level2 in _TAXONOMY.items() for l2, leaves in level2.items() for l3 in leaves
)

#: The 15 JDDC 2.1 image categories (8 kinds of screenshot, 7 kinds of photo).
IMAGE_CATEGORIES: tuple[str, ...] = (
    "screenshot_product",
    "screenshot_product_order",
    "screenshot_logistics_order",
    "screenshot_after_sales_order",
    "screenshot_text_message",
    "screenshot_user_comment",
    "screenshot_system_software",
    "screenshot_other_scene",
    "photo_purchase_consultation",
    "photo_damaged_appearance",
    "photo_malfunction",
    "photo_missing_items",
    "photo_recommendation_comparison",
    "photo_installation",
    "photo_user_screen",
)


def relation_level(label: str, level: int) -> str:
    """The prefix of a ``"L1/L2/L3"`` label at taxonomy ``level`` (1, 2 or 3)."""
    return "/".join(label.split("/")[:level])


def is_leveled(label: str) -> bool:
    """Whether ``label`` has the three-level shape ``"L1/L2/L3"`` (no empty level, no space beside a
    slash); other corpora's labels, such as ``"Question-answer_pair"`` or ``"Q / A"``, are flat."""
    levels = label.split("/")
    return len(levels) == 3 and all(level and level == level.strip() for level in levels)
