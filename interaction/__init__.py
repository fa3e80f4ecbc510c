"""Interaction platform (互动平台): comments and unit message boards with moderation,
reads/likes/shares (buffered events folded into daily roll-ups), Q&A, and the preference
and content-team assessment reports. Sub-packages by domain: `comments/`, `qa/`,
`engagement/`, `analytics/`; `models.py` gathers their models."""
