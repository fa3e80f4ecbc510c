"""The content fixtures (a site with channels; editors and reviewers on A, B and the root)
for the content triggers' tests, and fast password hashing."""

from tests.cms.conftest import _fast_passwords, roles, site  # noqa: F401
