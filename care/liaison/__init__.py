"""Family liaison files (亲情档案) for overseas members (docs/architecture.md "Member records
and privacy" › "Family liaison files")."""
