"""The issue editor's panel showing its PDF: made from which version, when, how many
pages — or why the last run failed (the previous file stays)."""

from __future__ import annotations

from wagtail.admin.panels import Panel


class BulletinPdfPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "publications/panels/bulletin_pdf.html"

        def get_context_data(self, parent_context=None):
            from django.core.exceptions import ObjectDoesNotExist

            context = super().get_context_data(parent_context)
            pdf = None
            if getattr(self.instance, "pk", None):
                try:  # the one-to-one `pdf` (its model imports this module)
                    pdf = type(self.instance)._default_manager.get(pk=self.instance.pk).pdf
                except ObjectDoesNotExist:
                    pdf = None
            context["pdf"] = pdf
            return context
