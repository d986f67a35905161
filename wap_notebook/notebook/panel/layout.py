"""The panel's action bar as widgets: the buttons, the override (tick and reason) and the inline confirmation.

Construction only: which of them show and are enabled is `controls.update`, what they do is `actions`.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from wap_notebook.notebook.panel.controls import MERGE_TIP


class ActionBar(widgets.HBox):
    """Run / Merge / Discard / Re-validate / Rebase, the override and the confirmation, on wrapping rows."""

    def __init__(self, *, rebase_tip: str, **kwargs: Any) -> None:
        self.run_button = widgets.Button(description="Run", icon="play", tooltip="Import and validate")
        self.merge_button = widgets.Button(description="Merge", icon="code-fork", button_style="success",
                                           tooltip=MERGE_TIP)
        self.discard_button = widgets.Button(description="Discard", icon="trash", button_style="danger",
                                             tooltip="Delete the import branch")
        self.revalidate_button = widgets.Button(description="Re-validate", icon="refresh",
                                                tooltip="Run the checks again on the branch")
        self.rebase_button = widgets.Button(description="Rebase", icon="level-up", button_style="info",
                                            tooltip=rebase_tip)
        self.override = widgets.Checkbox(value=False, description="Override failed checks", indent=False,
                                         layout={"width": "auto"})
        self.reason = widgets.Text(placeholder="Reason (recorded in the merge commit)",
                                   layout={"width": "22em", "max_width": "100%"})
        self.reason_hint = widgets.HTML()
        self.override_box = widgets.HBox([self.override, self.reason, self.reason_hint],
                                         layout={"align_items": "center", "flex_flow": "row wrap"})
        self.confirm_text = widgets.HTML(layout={"flex": "1 1 18em", "min_width": "0"})
        self.confirm_text.add_class("wap-confirm-text")
        self.confirm_button = widgets.Button(description="Confirm", button_style="warning")
        self.cancel_button = widgets.Button(description="Cancel")
        # the question wraps; the buttons keep their width (a long question squeezed them to "Con...")
        self.confirm_box = widgets.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                        layout={"align_items": "center", "flex_flow": "row wrap",
                                                "flex": "1 1 100%", "max_width": "100%"})
        for button in (*self.action_buttons, self.confirm_button, self.cancel_button):
            button.layout.width = "auto"
            button.layout.flex = "0 0 auto"
        super().__init__([*self.action_buttons, self.override_box, self.confirm_box],
                         layout={"flex_flow": "row wrap", "align_items": "center"}, **kwargs)

    @property
    def action_buttons(self) -> tuple[widgets.Button, ...]:
        return (self.run_button, self.merge_button, self.discard_button, self.revalidate_button, self.rebase_button)
