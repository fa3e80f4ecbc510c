"""Names the bulletin prints and shows."""

MASTHEAD = "政工情况"
